package hub

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/wire"
)

type clientState uint8

const (
	stateConnecting clientState = iota // waiting for the connect command
	stateConnected
	stateClosed
)

// Commands waiting to run for one connection are bounded by count and by
// their encoded size; past either, commands are refused with 111 (the
// client should wait for replies before pipelining more).
const (
	maxQueuedCommands     = 16384
	maxQueuedCommandBytes = 4 << 20
)

// Client is one connection's session.
type Client struct {
	hub    *Hub
	id     string
	t      Transport
	proto  protocol.Type
	remote netip.AddrPort
	shard  uint32
	// zmin is set when the transport negotiated compression (it is then a
	// DeflateTransport): the writer sends messages of at least zmin bytes
	// compressed (0: never).
	zmin       int32
	acceptedAt time.Duration // since hub.born
	session    string        // emulation session id; "" on bidirectional transports

	out outbound

	mu        sync.Mutex // guards the fields below
	state     clientState
	user      string
	info      []byte                          // connection info JSON from the token
	allowList map[string]struct{}             // explicit channel list from the token; nil = none
	roles     wire.Roles                      // roles from the token, by scope
	expiresAt int64                           // token expiry, Unix ns; 0 = never
	issuedAt  int64                           // token iat, Unix ns; 0 = absent
	login     string                          // sign-in session of the token ("sid"); "" = none
	subs      smallMap[string, *subscription] // by channel name
	bound     bool                            // registered under its user in the registry
	cleaned   bool                            // cleanup ran

	// The flags below sit beside the ones above to keep the struct small.
	// originless is set when the connection's HTTP request had no Origin
	// header (native and server clients): such a connection must present
	// a token, even where anonymous connections are allowed. Fixed at
	// accept.
	originless bool
	// connectSeen: a connect command was received and queued (mu). The
	// connect timeout then no longer applies: the client did its part in
	// time, however long the server takes to answer.
	connectSeen bool
	// connectRefusedAt is when a connect was first refused with 109 (token
	// expired), since hub.born (mu): the connection stays open for a new
	// connect, and the connect timeout runs again from then (not from
	// later refusals), so a client that connects with no valid token
	// within it is closed (3502).
	connectRefusedAt time.Duration
	// firstRefused: a command before any connect could not be decoded
	// (answered 107), so a later "first command must be connect" says so.
	firstRefused atomic.Bool

	// presenceMu orders this connection's presence writes (see
	// putPresence); it is taken before, never while holding, mu or a
	// channel's lock.
	presenceMu    sync.Mutex
	presenceOwner smallMap[string, *subscription] // presenceMu; by channel name: whose entry it is

	cmdMu    sync.Mutex // guards cmdQueue and cmdBusy
	cmdQueue []queuedCommand
	cmdBytes int // encoded size of cmdQueue (cmdMu)
	cmdBusy  bool

	// msgMu makes HandleMessage one call at a time on emulation sessions,
	// whose commands arrive on concurrent requests (Hub.Emulate) besides
	// the stream's own first message.
	msgMu sync.Mutex
	// limiter is used only from HandleMessage (one call at a time).
	limiter tokenBucket
	// pubLimiters rate-limit publications per namespace; used only on the
	// command goroutine.
	pubLimiters map[string]*tokenBucket

	// Liveness, read by the hub's sweep (unix ns; 0 = unset).
	pingSentAt    atomic.Int64
	lastPingAt    atomic.Int64
	bufferedSince atomic.Int64
	lastTaken     atomic.Int64  // bytes the peer had taken at the last sweep
	framesWritten atomic.Uint64 // transport messages written (by the writer shard)
	sweptFrames   uint64        // framesWritten at the last backlog check (sweep goroutine only)
}

// subscription is one channel a client is subscribed to.
type subscription struct {
	ch         *channel
	ns         *Namespace
	chanInfo   []byte
	expiresAt  time.Time // subscription token expiry; zero = never
	serverSide bool
	// delta is set when fossil delta compression was negotiated (fixed
	// at subscribe).
	delta bool
	// base is the offset of the last publication whose data this
	// subscriber received in this subscription, the base its next delta
	// must apply to; 0 when none (channel.mu).
	base uint64
}

// unixNano is t in Unix nanoseconds, 0 for the zero time.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// ID is the connection's id as sent in the connect reply.
func (c *Client) ID() string { return c.id }

// User is the connection's user ("" before connect or anonymous).
func (c *Client) User() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.user
}

// HandleMessage decodes the commands in one transport message (Session).
func (c *Client) HandleMessage(data []byte) {
	if c.session != "" {
		c.msgMu.Lock()
		defer c.msgMu.Unlock()
	}
	c.mu.Lock()
	closed := c.state == stateClosed
	c.mu.Unlock()
	if closed {
		return
	}
	// Decoded JSON commands point into the message; the commands outlive
	// the call, so decode from a copy.
	buf := append([]byte(nil), data...)
	now := time.Now()
	if c.proto == protocol.TypeJSON {
		c.handleJSON(buf, now)
		return
	}
	if err := checkProtobufFraming(buf); err != nil {
		c.malformed(err)
		return
	}
	dec := protocol.GetCommandDecoder(c.proto, buf)
	defer protocol.PutCommandDecoder(c.proto, dec)
	for {
		cmd, err := dec.Decode()
		if cmd != nil {
			if !c.admitCommand(cmd, now) {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				c.malformed(err)
			}
			return
		}
	}
}

// admitCommand handles what can be answered at once (pongs, rate limits,
// protocol violations) and queues the rest. It returns false when the
// connection was closed.
func (c *Client) admitCommand(cmd *protocol.Command, now time.Time) bool {
	if isPong(cmd) {
		c.pingSentAt.Store(0)
		return true
	}
	c.hub.metrics.commands.Add(1)
	if cmd.Id == 0 && cmd.Send == nil {
		c.Disconnect(wire.Disconnect{Code: wire.DisconnectBadRequest.Code, Reason: "command without id (only send may omit it)"})
		return false
	}
	c.mu.Lock()
	state, seen, refused := c.state, c.connectSeen, c.connectRefusedAt > 0
	c.mu.Unlock()
	if state == stateConnecting && cmd.Connect == nil && !seen {
		reason := "the first command must be connect"
		switch {
		case refused:
			reason = "not connected: the connect was refused (109); send a connect with a new token first"
		case c.firstRefused.Load():
			reason = "no connect yet: the first command could not be decoded (see its 107); send a valid connect first"
		}
		c.Disconnect(wire.Disconnect{Code: wire.DisconnectBadRequest.Code, Reason: reason})
		return false
	}
	if ok, retry := c.limiter.take(now); !ok {
		if cmd.Id != 0 {
			c.replyError(cmd.Id, wire.Errorf(wire.CodeTooManyRequests, true,
				"too many commands: the limit is %g per second; retry in %d ms", c.hub.cfg.CommandsPerSecond, retry.Milliseconds()+1))
		}
		return true
	}
	if cmd.Connect != nil {
		// Seen once it will run: a connect refused by the rate limit
		// above, or not queued below, leaves the connect timeout running.
		c.mu.Lock()
		c.connectSeen = true
		c.mu.Unlock()
	}
	if werr := c.queueCommand(queuedCommand{cmd: cmd, size: cmd.SizeCF()}); werr != nil {
		if cmd.Connect != nil {
			c.mu.Lock()
			c.connectSeen = false
			c.mu.Unlock()
		}
		c.replyError(cmd.Id, werr)
	}
	return true
}

// queuedCommand is a command waiting for the connection's command
// goroutine or, with refusal set, the answer to a command that could not
// be decoded (cmd then holds only its id): kept in line so that it follows
// the replies to the commands before it, the connect reply first.
type queuedCommand struct {
	cmd     *protocol.Command
	refusal *wire.Error
	size    int // bytes counted against maxQueuedCommandBytes
}

// queueCommand appends q to the command queue and starts the command
// goroutine if it is not running. It returns the error to answer instead
// when the queue is full.
func (c *Client) queueCommand(q queuedCommand) *wire.Error {
	c.cmdMu.Lock()
	if len(c.cmdQueue) >= maxQueuedCommands || c.cmdBytes+q.size > maxQueuedCommandBytes {
		n, b := len(c.cmdQueue), c.cmdBytes
		c.cmdMu.Unlock()
		return wire.Errorf(wire.CodeTooManyRequests, true,
			"too many commands waiting (%d, %d bytes); wait for replies before sending more", n, b)
	}
	c.cmdQueue = append(c.cmdQueue, q)
	c.cmdBytes += q.size
	start := !c.cmdBusy
	c.cmdBusy = true
	c.cmdMu.Unlock()
	if start && !c.hub.goCommands(c.runCommands) {
		c.cmdMu.Lock()
		c.cmdQueue, c.cmdBytes, c.cmdBusy = nil, 0, false
		c.cmdMu.Unlock()
		return wire.Errorf(wire.CodeInternal, true, "server shutting down: connect again")
	}
	return nil
}

// goCommands starts run, a connection's command goroutine, unless the hub
// has stopped running commands (Shutdown, once every client was
// disconnected), so that cmdWG.Add never races cmdWG.Wait — a data race,
// and a panic ("WaitGroup misuse") without the race detector. It reports
// whether run was started.
func (h *Hub) goCommands(run func()) bool {
	h.cmdGate.RLock()
	defer h.cmdGate.RUnlock()
	if h.cmdStopped {
		return false
	}
	h.cmdWG.Add(1)
	go run()
	return true
}

// refuseInLine answers command id with werr after the replies to the
// commands queued before it. Before any connect nothing is queued, so the
// answer goes at once.
func (c *Client) refuseInLine(id uint32, werr *wire.Error) {
	c.mu.Lock()
	seen := c.connectSeen
	c.mu.Unlock()
	if !seen {
		c.firstRefused.Store(true)
	}
	if !seen || c.queueCommand(queuedCommand{cmd: &protocol.Command{Id: id}, refusal: werr}) != nil {
		c.replyError(id, werr)
	}
}

func isPong(cmd *protocol.Command) bool {
	return cmd.Id == 0 && cmd.Connect == nil && cmd.Subscribe == nil && cmd.Unsubscribe == nil &&
		cmd.Publish == nil && cmd.Presence == nil && cmd.PresenceStats == nil && cmd.History == nil &&
		cmd.Ping == nil && cmd.Send == nil && cmd.Rpc == nil && cmd.Refresh == nil && cmd.SubRefresh == nil
}

// runCommands runs queued commands one at a time, in arrival order, and
// exits when none are left.
func (c *Client) runCommands() {
	defer c.hub.cmdWG.Done()
	for {
		c.cmdMu.Lock()
		if len(c.cmdQueue) == 0 {
			c.cmdBusy = false
			c.cmdQueue = nil
			c.cmdBytes = 0
			c.cmdMu.Unlock()
			return
		}
		q := c.cmdQueue[0]
		c.cmdQueue[0] = queuedCommand{}
		c.cmdQueue = c.cmdQueue[1:]
		c.cmdBytes -= q.size
		c.cmdMu.Unlock()
		c.dispatch(q.cmd, q.refusal)
	}
}

// HandleClosed runs when the transport is gone (Session). A connection
// the hub had not closed yet is counted under the code of a
// *DisconnectError in cause (a transport that ended it on its own: a
// stream whose client took nothing for the write timeout is a slow
// consumer, 3008), else as closed by the client (3000).
func (c *Client) HandleClosed(cause error) {
	d := wire.DisconnectConnectionClosed
	var de *DisconnectError
	if errors.As(cause, &de) {
		d = de.Disconnect
	}
	c.mu.Lock()
	counted := c.state != stateClosed
	if counted {
		c.state = stateClosed
		c.hub.metrics.disconnect(d.Code)
	}
	c.mu.Unlock()
	if counted && d.Code == wire.DisconnectSlow.Code {
		c.hub.metrics.queueOverflows.Add(1)
		c.hub.log.Info("slow consumer disconnected by its transport", "client", c.id, "user", c.User(), "cause", cause)
	}
	c.out.drop()
	// Cleanup talks to the engine (presence, leave events); keep it off the
	// transport's goroutine.
	go c.cleanup()
}

// Disconnect closes the connection with d once what is queued for it is
// written. It returns at once.
func (c *Client) Disconnect(d wire.Disconnect) {
	c.mu.Lock()
	if c.state == stateClosed {
		c.mu.Unlock()
		return
	}
	c.state = stateClosed
	c.mu.Unlock()
	c.hub.metrics.disconnect(d.Code)
	schedule, ok := c.out.closeAfterQueued(d)
	if !ok {
		c.t.Close(d)
		return
	}
	if schedule {
		c.hub.writers.schedule(c)
	}
}

// disconnectNow closes without writing what is queued (slow consumers).
func (c *Client) disconnectNow(d wire.Disconnect) {
	c.mu.Lock()
	already := c.state == stateClosed
	c.state = stateClosed
	c.mu.Unlock()
	if !already {
		c.hub.metrics.disconnect(d.Code)
	}
	c.out.drop()
	c.t.Close(d)
}

// cleanup leaves every channel and unregisters the client. It runs once.
func (c *Client) cleanup() {
	c.mu.Lock()
	if c.cleaned {
		c.mu.Unlock()
		return
	}
	c.cleaned = true
	subs := c.subs
	c.subs = smallMap[string, *subscription]{}
	user, bound := c.user, c.bound
	c.mu.Unlock()
	for name, s := range subs.all() {
		c.hub.leaveChannel(c, name, s, false)
	}
	c.hub.clients.remove(c, user, bound)
	if bound {
		c.hub.releaseUser(c, user)
	}
	c.hub.metrics.connectionsOpen.Add(-1)
}

// send encodes and queues a reply. It reports false when the connection
// is closed or was just closed for overflowing its queue. A reply to a
// command that cannot be encoded for this connection's protocol (stored
// data that is not valid JSON for a JSON client) is answered with an
// internal error instead, so the client's call does not wait forever.
func (c *Client) send(r *protocol.Reply) bool {
	data, err := protocol.GetReplyEncoder(c.proto).Encode(r)
	if err != nil {
		c.hub.log.Error("encode reply", "client", c.id, "command", r.Id, "err", err)
		if r.Id == 0 {
			return false
		}
		fail := &protocol.Reply{Id: r.Id, Error: &protocol.Error{Code: wire.CodeInternal, Message: fmt.Sprintf(
			"the reply cannot be encoded for this connection (%v): the channel holds data stored before it was checked; retrying will not help", err)}}
		if data, err = protocol.GetReplyEncoder(c.proto).Encode(fail); err != nil {
			return false
		}
	}
	return c.enqueue(data)
}

// enqueue queues an encoded reply or push.
func (c *Client) enqueue(data []byte) bool { return c.enqueueMsg(outMsg{data: data}) }

// enqueueMsg queues an encoded message with its shared compressed form, if
// any.
func (c *Client) enqueueMsg(m outMsg) bool {
	res, schedule := c.out.push(m, c.t.Buffered(), c.hub.cfg.QueueMaxBytes)
	switch res {
	case enqueueOverflow:
		c.hub.metrics.queueOverflows.Add(1)
		c.hub.log.Info("slow consumer disconnected: outbound queue full", "client", c.id, "user", c.User(),
			"limit_bytes", c.hub.cfg.QueueMaxBytes, "transport_buffered", c.t.Buffered())
		c.disconnectNow(wire.DisconnectSlow)
		return false
	case enqueueClosed:
		return false
	}
	if schedule {
		c.hub.writers.schedule(c)
	}
	return true
}

func (c *Client) replyError(id uint32, e *wire.Error) {
	c.send(&protocol.Reply{Id: id, Error: &protocol.Error{Code: e.Code, Message: e.Message, Temporary: e.Temporary}})
}

// truncateReason keeps a disconnect reason within a WebSocket close frame
// (123 bytes, RFC 6455 §5.5), cutting on a UTF-8 boundary.
func truncateReason(s string) string {
	const max = 123
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut]
}

func (c *Client) String() string { return fmt.Sprintf("client %s (%s)", c.id, c.remote) }
