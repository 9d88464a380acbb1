package config

import (
	"strings"
	"time"
)

// SubscribePolicy says who may subscribe to the channels of a namespace.
type SubscribePolicy string

// Subscribe policies.
const (
	// SubscribeAnonymous lets any connection subscribe, with or without a user.
	SubscribeAnonymous SubscribePolicy = "anonymous"
	// SubscribeAuthenticated lets any connection with a user subscribe.
	SubscribeAuthenticated SubscribePolicy = "authenticated"
	// SubscribeToken requires a subscription token for the channel.
	SubscribeToken SubscribePolicy = "token"
	// SubscribeUser admits only the user named after the separator:
	// "personal:alice" only to user alice (personal channels).
	SubscribeUser SubscribePolicy = "user"
)

// PublishPolicy says who may publish to the channels of a namespace from a
// client connection. The HTTP API and server features can always publish.
type PublishPolicy string

// Publish policies.
const (
	// PublishNone lets no client publish.
	PublishNone PublishPolicy = "none"
	// PublishAuthenticated lets any connection with a user publish.
	PublishAuthenticated PublishPolicy = "authenticated"
	// PublishSubscriber lets connections subscribed to the channel publish.
	PublishSubscriber PublishPolicy = "subscriber"
	// PublishAnonymous lets any connection publish, with or without a user.
	PublishAnonymous PublishPolicy = "anonymous"
)

func subscribePolicies() []SubscribePolicy {
	return []SubscribePolicy{SubscribeAnonymous, SubscribeAuthenticated, SubscribeToken, SubscribeUser}
}

func publishPolicies() []PublishPolicy {
	return []PublishPolicy{PublishNone, PublishAuthenticated, PublishSubscriber, PublishAnonymous}
}

// NamespaceSeparator separates a channel's namespace from the rest of its
// name: "room:42" is channel "42" of namespace "room".
const NamespaceSeparator = ":"

// NamespaceConfig is one [[namespaces]] entry: the rules of every channel
// whose name starts with "<name>:".
type NamespaceConfig struct {
	// Namespace name: 1 to 32 of a-z, 0-9, '_' and '-'. "" is the default
	// namespace, for channels without ':'. Required.
	Name string `toml:"name" docdefault:"required"`
	// Publications kept per channel for history and recovery. 0 = no
	// history: publications are delivered live only.
	HistorySize int `toml:"history_size"`
	// How long publications stay in a channel's history. 0s = until pushed
	// out by history_size. Needs history_size.
	HistoryTTL Duration `toml:"history_ttl"`
	// Whether a client that resubscribes with its last offset and epoch gets
	// exactly the publications it missed. Needs history_size.
	Recovery bool `toml:"recovery"`
	// Whether the namespace tracks who is subscribed (see [presence]).
	Presence bool `toml:"presence"`
	// Whether subscribers receive join and leave events.
	JoinLeave bool `toml:"join_leave"`
	// Who may subscribe: "anonymous" (anyone), "authenticated" (any user),
	// "token" (a subscription token for the channel is required) or "user"
	// (only the user named after the separator: personal channels).
	Subscribe SubscribePolicy `toml:"subscribe"`
	// Who may publish from a client connection: "none", "authenticated"
	// (any user), "subscriber" (connections subscribed to the channel) or
	// "anonymous" (anyone).
	Publish PublishPolicy `toml:"publish"`
	// Largest publication data accepted, in bytes.
	MaxPublicationBytes ByteSize `toml:"max_publication_bytes"`
	// Client publications per second allowed per connection in one
	// channel of the namespace (token bucket refill rate). 0 = unlimited.
	PublishRate int `toml:"publish_rate"`
	// Client publications allowed in a burst above publish_rate (token
	// bucket size). At least 1 when publish_rate is set.
	PublishBurst int `toml:"publish_burst"`
	// Delta compression offered to subscribers: "fossil" sends a
	// subscriber that asks for it (the SDKs' delta: 'fossil') a fossil
	// delta against the previous publication it received instead of the
	// full data, when shorter; "" (the default) never does. Needs
	// history_size.
	Delta string `toml:"delta"`
	// Whether the engine refuses to delete or purge anything in the
	// namespace's history, for audit logs: only history_size drops old
	// entries, so give such a namespace a large one. Needs history_size.
	// Changing it on an existing stream takes effect at the next start.
	AppendOnly bool `toml:"append_only"`
}

// DeltaFossil is the value of NamespaceConfig.Delta that turns fossil
// delta compression on.
const DeltaFossil = "fossil"

// NamespaceDefaults returns the settings of a namespace that the config file
// names without giving its other keys.
func NamespaceDefaults(name string) NamespaceConfig {
	return NamespaceConfig{
		Name:                name,
		Subscribe:           SubscribeAuthenticated,
		Publish:             PublishNone,
		MaxPublicationBytes: 64 * KiB,
	}
}

// builtinNamespaces returns the namespaces every node has unless the config
// file replaces them: the closed default namespace, room, reactions,
// personal, the chat's chat, chatmod, typing and audit, and support's
// support, supporttyping and supportq.
func builtinNamespaces() []NamespaceConfig {
	def := NamespaceDefaults("")
	def.Subscribe = SubscribeToken

	room := NamespaceDefaults("room")
	room.HistorySize = 1000
	room.HistoryTTL = Duration(24 * time.Hour)
	room.Recovery = true
	room.Presence = true
	room.JoinLeave = true
	room.Publish = PublishAuthenticated

	reactions := NamespaceDefaults("reactions")
	reactions.Publish = PublishAuthenticated
	reactions.PublishRate = 10
	reactions.PublishBurst = 20
	// A reaction is an emoji and an id; 64 KiB at 10/s would let any
	// signed-in user push 640 KB/s to every viewer.
	reactions.MaxPublicationBytes = 512

	personal := NamespaceDefaults("personal")
	personal.Subscribe = SubscribeUser
	personal.HistorySize = 100
	personal.HistoryTTL = Duration(24 * time.Hour)
	personal.Recovery = true

	out := append([]NamespaceConfig{def, room, reactions, personal}, chatNamespaces()...)
	return append(out, supportNamespaces()...)
}

// chatNamespaces are the namespaces of the chat (see docs/chat.md): the
// room channel, the moderators' channel, typing indicators and the audit
// log. Clients never publish to them; the chat writes them.
func chatNamespaces() []NamespaceConfig {
	chat := NamespaceDefaults("chat")
	chat.Subscribe = SubscribeAnonymous // the chat's guard refuses banned users
	chat.HistorySize = 1000
	chat.Recovery = true
	chat.Presence = true
	chat.JoinLeave = true

	mod := NamespaceDefaults("chatmod")
	mod.HistorySize = 1000
	mod.Recovery = true

	typing := NamespaceDefaults("typing")
	typing.Subscribe = SubscribeAnonymous

	audit := NamespaceDefaults("audit")
	audit.HistorySize = 100000
	audit.AppendOnly = true

	return []NamespaceConfig{chat, mod, typing, audit}
}

// Namespace returns the namespace with the given name ("" is the default
// namespace) and whether it exists.
func (c *Config) Namespace(name string) (NamespaceConfig, bool) {
	for _, ns := range c.Namespaces {
		if ns.Name == name {
			return ns, true
		}
	}
	return NamespaceConfig{}, false
}

// ChannelNamespace returns the namespace that governs a channel: the part
// of the name before the first ':', or the default namespace "" when there
// is none. ok is false when no such namespace is configured.
func (c *Config) ChannelNamespace(channel string) (ns NamespaceConfig, ok bool) {
	name, _, found := strings.Cut(channel, NamespaceSeparator)
	if !found {
		name = ""
	}
	return c.Namespace(name)
}

// mergeNamespaces applies the namespaces of a config file to base: an entry
// replaces the one of the same name in place, others are appended in file
// order. Duplicates within file are left for Validate to report.
func mergeNamespaces(base, file []NamespaceConfig) []NamespaceConfig {
	out := append([]NamespaceConfig(nil), base...)
	replaced := make(map[string]bool)
	for _, ns := range file {
		idx := -1
		for i := range base {
			if base[i].Name == ns.Name {
				idx = i
				break
			}
		}
		if idx >= 0 && !replaced[ns.Name] {
			out[idx] = ns
			replaced[ns.Name] = true
			continue
		}
		out = append(out, ns)
	}
	return out
}
