package config

// Config is the whole configuration of one liveroom node. Every field maps to
// a key of the TOML config file (its `toml` tag; nested structs are tables).
// The comments on the fields are the reference text of
// docs/configuration.md, so they are written for operators: they say what
// the key does, its units and what is allowed.
//
// Fields are plain values that the server reads directly after Load or
// Validate has accepted them; nothing in here changes after loading.
type Config struct {
	// Address (host:port) that the HTTP server listens on, for WebSocket
	// clients, the HTTP API and the demo site. Port 0 picks a free port. A
	// non-loopback address (such as 0.0.0.0:8080 or :8080) requires auth.keys
	// and api.key to be set.
	Addr string `toml:"addr"`
	// Directory for all state: the embedded NATS JetStream store and
	// generated secrets. Relative paths are relative to the working directory.
	DataDir string `toml:"data_dir"`
	// URL of an external NATS server or cluster (nats://host:4222; several
	// URLs separated by commas). Empty runs an embedded NATS server with
	// JetStream, stored under data_dir.
	NATSURL string `toml:"nats_url"`
	// Whether the demo site and the demo token endpoint POST /demo/token are
	// on. Unset means on when addr is a loopback address and off otherwise;
	// the demo token endpoint mints tokens for anyone, so on a public address
	// it only runs when demo = true is set explicitly.
	Demo *bool `toml:"demo" docdefault:"auto: on when addr is a loopback address"`
	// Name of this node in logs, metrics and the NATS cluster. Letters,
	// digits, '.', '_' and '-', at most 64 characters. Empty means the host
	// name of the machine.
	NodeName string `toml:"node_name" docdefault:"the host name"`
	// Address (host:port) of a separate debug listener serving Go's
	// profiler at /debug/pprof/. Empty (the default) turns it off. Keep it
	// on a loopback or private address: profiles reveal internals.
	DebugAddr string `toml:"debug_addr"`
	// Least severe log level written: "debug", "info", "warn" or "error".
	LogLevel string `toml:"log_level"`
	// Log line format: "text" (key=value pairs) or "json" (one object per
	// line).
	LogFormat string `toml:"log_format"`

	// The NATS JetStream engine.
	Engine EngineConfig `toml:"engine"`
	// Verification of connection and subscription tokens (JWT).
	Auth AuthConfig `toml:"auth"`
	// The HTTP server API used by backends.
	API APIConfig `toml:"api"`
	// Limits and timers of client connections.
	Client ClientConfig `toml:"client"`
	// Who is in a channel.
	Presence PresenceConfig `toml:"presence"`
	// The chat of a room: limits and the global term filter (see
	// docs/chat.md).
	Chat ChatConfig `toml:"chat"`
	// Support chat inside a session: a user's private conversation with
	// an agent (see docs/support.md).
	Support SupportConfig `toml:"support"`
	// Graceful shutdown.
	Shutdown ShutdownConfig `toml:"shutdown"`
	// Scale-out: a NATS cluster of liveroom nodes, and edge nodes.
	Cluster ClusterConfig `toml:"cluster"`
	// What browsers may do: allowed origins, security headers.
	Web WebConfig `toml:"web"`
	// liveroom's own accounts, sign-in sessions and devices.
	Accounts AccountsConfig `toml:"accounts"`
	// Channel namespaces. An entry whose name matches a built-in namespace
	// replaces it entirely (keys it leaves out take the defaults of a new
	// namespace, not the built-in's values); other entries are added.
	Namespaces []NamespaceConfig `toml:"namespaces"`

	// ConfigFile is the path of the TOML file this configuration was loaded
	// from, empty when none. It is set by --config or LIVEROOM_CONFIG, not in
	// the file.
	ConfigFile string `toml:"-"`
}

// EngineConfig is the [engine] table.
type EngineConfig struct {
	// Fsync every write before acknowledging it. Off, JetStream still writes
	// before it acknowledges, so an acknowledged publish survives a crash or
	// kill -9 of the process, and it fsyncs every 2 minutes: a power loss on a
	// single node can lose the last writes. On, nothing acknowledged is lost
	// to a power loss, at a cost in publish throughput (see
	// docs/benchmarks.md). Only for the embedded server; an external NATS
	// server has its own setting.
	SyncAlways bool `toml:"sync_always"`
	// Disk space JetStream may use, in bytes. 0 means the JetStream default:
	// 75% of the free space on the data_dir disk at start.
	MaxStorageBytes ByteSize `toml:"max_storage_bytes"`
	// Memory JetStream may use for in-memory streams, in bytes. 0 means the
	// JetStream default: 75% of the system memory (or of GOMEMLIMIT if lower).
	MaxMemoryBytes ByteSize `toml:"max_memory_bytes"`
	// JetStream domain of an external NATS (nats_url), or of an external
	// core that edges connect to. Empty: none for an external NATS; embedded
	// nodes, and edges of embedded cores, always use "liveroom".
	Domain string `toml:"domain"`
}

// AuthConfig is the [auth] table.
type AuthConfig struct {
	// Required "aud" claim of tokens. Empty accepts any audience.
	Audience string `toml:"audience"`
	// Required "iss" claim of tokens. Empty accepts any issuer.
	Issuer string `toml:"issuer"`
	// Clock skew allowed when checking the "exp", "nbf" and "iat" claims of
	// a token.
	Leeway Duration `toml:"leeway"`
	// After a connection token expires, how long the client has to send a
	// refreshed one before it is disconnected with code 3005.
	ExpiryGrace Duration `toml:"expiry_grace"`
	// Largest token accepted, in bytes. Longer tokens are refused before
	// they are parsed.
	MaxTokenBytes ByteSize `toml:"max_token_bytes"`
	// Keys that verify tokens. When empty on a loopback address, a random
	// HS256 secret is generated into data_dir.
	Keys []AuthKey `toml:"keys"`
}

// Algorithms accepted in AuthKey.Algorithm.
const (
	AlgHS256 = "HS256"
	AlgRS256 = "RS256"
	AlgEdDSA = "EdDSA"
)

// AuthKey is one [[auth.keys]] entry: a key that verifies tokens.
type AuthKey struct {
	// Key id, matched against the "kid" header of a token. Optional with a
	// single key; required, and unique, when there are several.
	ID string `toml:"id"`
	// Signature algorithm: "HS256" (shared secret), "RS256" (RSA public key)
	// or "EdDSA" (Ed25519 public key). Required.
	Algorithm string `toml:"algorithm" docdefault:"required"`
	// Shared secret for HS256, at least 32 bytes (256 bits). Only for HS256.
	Secret string `toml:"secret"`
	// Path of a PEM file holding the public key, for RS256 and EdDSA.
	// Relative paths are relative to the working directory.
	PublicKeyFile string `toml:"public_key_file"`
	// Path of a PEM file holding the matching private key, for RS256 and
	// EdDSA. Optional: only `liveroom token` reads it, to mint tokens.
	PrivateKeyFile string `toml:"private_key_file"`
}

// APIConfig is the [api] table.
type APIConfig struct {
	// Secret that backends present to the HTTP API, at least 16
	// characters. When empty on a loopback address, a random key is
	// generated into data_dir.
	Key string `toml:"key"`
}

// ClientConfig is the [client] table.
type ClientConfig struct {
	// Time between server pings on an idle connection.
	PingInterval Duration `toml:"ping_interval"`
	// How long the client has to answer a ping before it is disconnected.
	// Must be less than ping_interval.
	PongTimeout Duration `toml:"pong_timeout"`
	// The first command (connect) must arrive within this time after the
	// connection opens.
	ConnectTimeout Duration `toml:"connect_timeout"`
	// Whether a connect command without a token is accepted, as an
	// anonymous user (user id ""). Namespaces then decide what anonymous
	// connections may do.
	AllowAnonymous bool `toml:"allow_anonymous"`
	// Largest message a client may send, in bytes.
	MaxMessageBytes ByteSize `toml:"max_message_bytes"`
	// Largest amount of outbound data queued for one connection, in bytes.
	// A connection whose queue would grow past it is disconnected with code
	// 3008 (slow consumer). At least max_message_bytes.
	QueueMaxBytes ByteSize `toml:"queue_max_bytes"`
	// Slow consumer limit in time: a connection whose oldest queued bytes
	// have waited longer than this is disconnected with code 3008.
	WriteTimeout Duration `toml:"write_timeout"`
	// Most channels one connection may subscribe to.
	MaxSubscriptions int `toml:"max_subscriptions"`
	// How long a node keeps a channel's state (its recent publications,
	// its interest in the channel's messages) after the last local
	// subscriber left, so that subscribers coming back at once — a
	// network blip, a redeploy of a load balancer — recover from memory
	// instead of each reading the stream. 0s turns it off.
	ChannelLinger Duration `toml:"channel_linger"`
	// Commands per second allowed per connection (token bucket refill
	// rate). 0 = unlimited.
	CommandsPerSecond int `toml:"commands_per_second"`
	// Commands a connection may send in a burst above commands_per_second
	// (token bucket size). At least 1 when commands_per_second is set.
	CommandsBurst int `toml:"commands_burst"`
	// Most open connections for one user, counted across every node. 0 =
	// unlimited. Of many connections of one user arriving at once, the
	// first ones up to the limit get in; the rest are closed with 3504. A
	// refused or closed connection stops counting when its record is
	// removed (retried in the background when the store is slow; at the
	// latest after `presence.ttl`). Each node also counts its own
	// connections of the user, exactly and without the store, so the limit
	// holds on a node even when the store is too slow to count (then only
	// the cluster-wide count is skipped). A connect over the limit keeps
	// looking for a free place for up to 2 s (connections that just
	// closed free theirs) before it is refused.
	MaxConnectionsPerUser int `toml:"max_connections_per_user"`
	// Most open connections from one IP address (an IPv6 address's /64
	// counts as one: a client can take any address in it). 0 = unlimited.
	// Past it an upgrade is refused with HTTP 429 and Retry-After; upgrades
	// that race past that check are closed with 3013 (retry later).
	MaxConnectionsPerIP int `toml:"max_connections_per_ip"`
	// New connections accepted per second on this node, to survive a
	// reconnect storm. 0 = unlimited.
	AcceptRate int `toml:"accept_rate"`
	// New connections accepted in a burst above accept_rate. At least 1
	// when accept_rate is set.
	AcceptBurst int `toml:"accept_burst"`
	// Time allowed to read the HTTP request headers of a new connection.
	HandshakeTimeout Duration `toml:"handshake_timeout"`
	// Largest HTTP request header block accepted, in bytes. At least 1KiB.
	MaxHeaderBytes ByteSize `toml:"max_header_bytes"`
	// Time allowed to receive the rest of a WebSocket frame once it has
	// started, and the body of a request to the HTTP-streaming and
	// emulation endpoints once its headers are in, against clients that send
	// very slowly.
	FrameTimeout Duration `toml:"frame_timeout"`
	// Whether the SSE fallback transport is on: GET /connection/sse, for
	// clients that cannot open a WebSocket; their later commands go to POST
	// /emulation.
	SSE bool `toml:"sse"`
	// Whether the HTTP-streaming fallback transport is on: POST
	// /connection/http_stream (JSON or Protobuf), for clients that cannot
	// open a WebSocket; their later commands go to POST /emulation.
	HTTPStream bool `toml:"http_stream"`
	// Whether WebSocket connections use permessage-deflate compression
	// (RFC 7692) when the client offers it, as browsers do. Always without
	// context takeover, so a connection keeps no compression state and a
	// publication is compressed once for all its subscribers.
	Compression bool `toml:"compression"`
	// Smallest message compressed, in bytes, on connections that
	// negotiated compression; shorter messages are sent as they are.
	CompressionMinBytes ByteSize `toml:"compression_min_bytes"`
	// Largest size a compressed client message may inflate to, in bytes;
	// past it the connection is closed with code 1009. max_message_bytes
	// still limits its size on the wire. 0 = the same as
	// max_message_bytes.
	MaxInflatedBytes ByteSize `toml:"max_inflated_bytes" docdefault:"0 (max_message_bytes)"`
}

// PresenceConfig is the [presence] table.
type PresenceConfig struct {
	// How long a presence entry lives without being refreshed. It is also
	// the longest a crashed node's clients stay listed. At least 1s.
	TTL Duration `toml:"ttl"`
	// Presence replies list at most this many clients.
	MaxList int `toml:"max_list"`
}

// ClusterConfig is the [cluster] table. Nodes whose embedded NATS servers
// route to each other form one cluster and share streams (replicated);
// edge nodes run their NATS server as a leaf node of a core node.
type ClusterConfig struct {
	// Name of the NATS cluster; every node of one cluster uses the same.
	Name string `toml:"name"`
	// Address (host:port) where this node's NATS server accepts routes from
	// the other nodes. Empty: not clustered.
	Listen string `toml:"listen"`
	// Routes to the other nodes' listen addresses, as nats-route://host:port
	// URLs (listing this node's own address too is fine).
	Routes []string `toml:"routes"`
	// Replicas of every stream. 0 = automatic: 3 when routes name at least
	// three nodes, otherwise 1.
	Replicas int `toml:"replicas"`
	// Let this node lower the settings of streams the cluster already has
	// (replicas, history_size, storage limits) to its own configuration's.
	// Off: a node whose configuration asks for less keeps what the stream
	// has and logs a warning, so one stale or mistyped file cannot drop
	// history or copies on every node. Turn it on for one restart of one
	// node to lower them on purpose.
	ApplyLowerLimits bool `toml:"apply_lower_limits"`
	// Address (host:port) where this core node accepts edge nodes. Empty:
	// no edges.
	LeafListen string `toml:"leaf_listen"`
	// Leaf URL of a core node (nats-leaf://host:port). When set, this node
	// is an edge: its NATS server is a leaf node of the core, keeps no
	// streams of its own and reads history from the core.
	Edge string `toml:"edge"`
	// Address (host:port) that other nodes should use to reach this node's
	// route listener, when it differs from listen (NAT, a proxy, a
	// container's published port). Nodes tell each other these addresses
	// and connect to the ones they were not given in routes. Empty: the
	// listen address.
	Advertise string `toml:"advertise"`
	// Do not tell edges this core node's leaf address (nor NATS clients
	// its client address): edges keep the leaf URL they were given, for
	// when they reach the core through an address it cannot see itself.
	NoAdvertise bool `toml:"no_advertise"`
	// How often the embedded NATS server pings the other nodes over routes
	// and over the edge-core leaf link. Three pings without an answer close
	// the link, so a link that goes silent without a close (a network
	// partition) is noticed within about three intervals. At most 30s.
	PingInterval Duration `toml:"ping_interval"`
	// A node not heard from for this long counts as gone: its connections
	// leave presence (subscribers get one leave each) and stop counting
	// toward per-user limits. Nodes announce themselves every
	// node_timeout/4. A node restarted under the same name replaces its
	// previous run at once. At least 1s.
	NodeTimeout Duration `toml:"node_timeout"`
}

// ShutdownConfig is the [shutdown] table.
type ShutdownConfig struct {
	// On shutdown, clients are disconnected with code 3001 (reconnect) at
	// random moments spread over this window, so they do not all reconnect
	// to the other nodes at once. Meanwhile the node still serves HTTP: the
	// clients not disconnected yet keep working (SSE and HTTP-streaming
	// clients' commands included), new connections get 503 and /readyz
	// answers 503 "shutting down".
	DrainWindow Duration `toml:"drain_window"`
	// Longest a shutdown may take in total, drain_window included; what is
	// still open then is closed. At least drain_window.
	Timeout Duration `toml:"timeout"`
}
