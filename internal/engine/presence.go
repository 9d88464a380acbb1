package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Presence entries live in one memory stream, one subject per connection in
// a channel, keeping only the newest message per subject. A leave writes a
// tombstone over the entry; the stream's MaxAge removes entries (and
// tombstones) that nobody refreshed. Each subject ends with the token of
// the node run (Config.Instance) that wrote it, so the other nodes can find
// and remove the entries of a run that is gone (ReapInstance) long before
// MaxAge does.
//
//	lr.presence.<ns>.<channel>.<user>.<client>.<instance>
//	lr.conns.<user>.<client>.<instance>
const (
	presenceStream  = "lr_presence"
	subjectPresence = "lr.presence."
	subjectConns    = "lr.conns." // lr.conns.<user>.<client>: a user's connections, cluster-wide
	hdrGone         = "Lr-Gone"
	anonymousToken  = "~" // EncodeToken never yields a bare "~"
)

// PresenceEntry is one connection present in a channel.
type PresenceEntry struct {
	Client string
	User   string
	Info   []byte
}

// EnsurePresence creates or updates the presence stream. ttl is how long an
// entry lives without being re-put.
func (e *Engine) EnsurePresence(ctx context.Context, ttl time.Duration) error {
	_, err := e.ensureStream(ctx, jetstream.StreamConfig{
		Name:              presenceStream,
		Description:       "liveroom presence: one entry per connection and channel",
		Subjects:          []string{subjectPresence + ">", subjectConns + ">"},
		Storage:           jetstream.MemoryStorage,
		Replicas:          e.cfg.Replicas,
		MaxMsgsPerSubject: 1,
		MaxAge:            ttl,
		Discard:           jetstream.DiscardOld,
		AllowDirect:       true,
	})
	return err
}

func presencePrefix(ch ChannelRef) string { return subjectPresence + ch.token + "." }

func (e *Engine) presenceSubject(ch ChannelRef, user, client string) string {
	return presencePrefix(ch) + userToken(user) + "." + EncodeToken(client) + "." + e.instToken
}

func (e *Engine) connSubject(user, client string) string {
	return subjectConns + userToken(user) + "." + EncodeToken(client) + "." + e.instToken
}

func userToken(user string) string {
	if user == "" {
		return anonymousToken
	}
	return EncodeToken(user)
}

// PresencePut records (or refreshes) a connection in a channel.
func (e *Engine) PresencePut(ctx context.Context, ch ChannelRef, client, user string, info []byte) error {
	msg := &nats.Msg{Subject: e.presenceSubject(ch, user, client), Data: info}
	if err := checkSubject("presence put", msg.Subject); err != nil {
		return err
	}
	if _, err := e.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("engine: presence put in %s: %w", ch.Name, err)
	}
	return nil
}

// PresenceDelete removes a connection from a channel's presence.
func (e *Engine) PresenceDelete(ctx context.Context, ch ChannelRef, client, user string) error {
	msg := &nats.Msg{Subject: e.presenceSubject(ch, user, client), Header: nats.Header{}}
	msg.Header.Set(hdrGone, "1")
	if err := checkSubject("presence delete", msg.Subject); err != nil {
		return err
	}
	if _, err := e.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("engine: presence delete in %s: %w", ch.Name, err)
	}
	return nil
}

// PresenceLive reports whether this node's entry of a connection in a
// channel is stored and not a tombstone (a leave's delete, or another
// node's reaper that took this node for dead). One direct get.
func (e *Engine) PresenceLive(ctx context.Context, ch ChannelRef, client, user string) (bool, error) {
	subject := e.presenceSubject(ch, user, client)
	if err := checkSubject("presence get", subject); err != nil {
		return false, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, publishAttemptTimeout)
		defer cancel()
	}
	msg, err := e.nc.RequestWithContext(ctx, e.directGet+presenceStream+"."+subject, nil)
	if err != nil {
		return false, fmt.Errorf("engine: presence get in %s: %w", ch.Name, err)
	}
	switch msg.Header.Get(hdrStatus) {
	case "":
		return msg.Header.Get(hdrGone) == "", nil
	case "404":
		return false, nil
	default:
		return false, fmt.Errorf("engine: presence get in %s: status %s %s", ch.Name, msg.Header.Get(hdrStatus), msg.Header.Get("Description"))
	}
}

// PresenceList returns up to max entries of a channel (max < 0: all) and
// the total number of entries.
func (e *Engine) PresenceList(ctx context.Context, ch ChannelRef, max int) ([]PresenceEntry, int, error) {
	prefix := presencePrefix(ch)
	var out []PresenceEntry
	// An entry re-put while the scan is between two batches moves to a
	// later sequence and is read again: count each subject once, with its
	// latest data.
	at := map[string]int{} // subject → index in out, or -1 past max
	err := e.scanLatest(ctx, prefix+">", func(m *nats.Msg) {
		subject := m.Header.Get(hdrSubject)
		user, client, ok := splitPresenceSubject(strings.TrimPrefix(subject, prefix))
		if !ok {
			return
		}
		if i, seen := at[subject]; seen {
			if i >= 0 {
				out[i].Info = m.Data
			}
			return
		}
		at[subject] = -1
		if max < 0 || len(out) < max {
			at[subject] = len(out)
			out = append(out, PresenceEntry{Client: client, User: user, Info: m.Data})
		}
	})
	if err != nil {
		return nil, 0, fmt.Errorf("engine: presence of %s: %w", ch.Name, err)
	}
	return out, len(at), nil
}

// scanLatest calls fn for every live entry (not a tombstone) matching
// filter (a subject with wildcards) in the presence stream, which keeps one
// message per subject.
func (e *Engine) scanLatest(ctx context.Context, filter string, fn func(*nats.Msg)) error {
	inbox := nats.NewInbox()
	sub, err := e.nc.SubscribeSync(inbox)
	if err != nil {
		return err
	}
	defer func() { _ = sub.Unsubscribe() }()
	seq := uint64(1)
	for {
		req, _ := json.Marshal(directGetRequest{Seq: seq, NextFor: filter, Batch: scanBatch, MaxBytes: scanMaxBytes})
		if err := e.nc.PublishRequest(e.directGet+presenceStream, inbox, req); err != nil {
			return err
		}
		got, more := 0, false
	batch:
		for {
			m, err := sub.NextMsgWithContext(ctx)
			if err != nil {
				return err
			}
			switch m.Header.Get(hdrStatus) {
			case "404":
				return nil
			case "204":
				more = got > 0 && m.Header.Get("Nats-Num-Pending") != "0"
				break batch
			case "":
			default:
				return fmt.Errorf("status %s", m.Header.Get(hdrStatus))
			}
			got++
			if s, err := parseSeq(m); err == nil {
				seq = s + 1
			}
			if m.Header.Get(hdrGone) == "" {
				fn(m)
			}
		}
		if !more {
			return nil
		}
	}
}

func parseSeq(m *nats.Msg) (uint64, error) {
	var s uint64
	_, err := fmt.Sscan(m.Header.Get(hdrSequence), &s)
	return s, err
}

// splitPresenceSubject parses "<user>.<client>.<instance>".
func splitPresenceSubject(rest string) (user, client string, ok bool) {
	parts := strings.Split(rest, ".")
	if len(parts) != 3 {
		return "", "", false
	}
	if parts[0] != anonymousToken {
		var err error
		if user, err = DecodeToken(parts[0]); err != nil {
			return "", "", false
		}
	}
	client, err := DecodeToken(parts[1])
	if err != nil {
		return "", "", false
	}
	return user, client, true
}

// ConnectionPut records (or refreshes) one connection of a user, for
// cluster-wide per-user limits. It lives, like presence, until the TTL
// unless re-put.
func (e *Engine) ConnectionPut(ctx context.Context, user, client string) error {
	msg := &nats.Msg{Subject: e.connSubject(user, client)}
	if err := checkSubject("connection put", msg.Subject); err != nil {
		return err
	}
	if _, err := e.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("engine: connection put for %q: %w", user, err)
	}
	return nil
}

// ConnectionDelete forgets one connection of a user. Its record is purged
// from the stream rather than overwritten with a tombstone: a tombstone
// would stay until the TTL, and every later count of the user
// (ConnectionsElsewhereBefore) would read over it, so a user who opens and closes
// connections fast would make each of their connects slower than the last.
func (e *Engine) ConnectionDelete(ctx context.Context, user, client string) error {
	req, _ := json.Marshal(purgeRequest{Filter: e.connSubject(user, client)})
	msg, err := e.nc.RequestWithContext(ctx, e.apiPrefix+"STREAM.PURGE."+presenceStream, req)
	if err != nil {
		return fmt.Errorf("engine: connection delete for %q: %w", user, err)
	}
	var res purgeResponse
	if err := json.Unmarshal(msg.Data, &res); err != nil {
		return fmt.Errorf("engine: connection delete for %q: unreadable answer: %w", user, err)
	}
	if res.Error != nil || !res.Success {
		return fmt.Errorf("engine: connection delete for %q: %s (code %d)", user, res.Error.describe(), res.Error.code())
	}
	return nil
}

// purgeRequest and purgeResponse are the JetStream API's stream purge
// ($JS.API.STREAM.PURGE.<stream> with a subject filter; NATS ADR-10).
type purgeRequest struct {
	Filter string `json:"filter"`
}

type purgeResponse struct {
	Success bool      `json:"success"`
	Error   *apiError `json:"error"`
}

type apiError struct {
	ErrCode     int    `json:"err_code"`
	Description string `json:"description"`
}

func (a *apiError) describe() string {
	if a == nil {
		return "not purged"
	}
	return a.Description
}

func (a *apiError) code() int {
	if a == nil {
		return 0
	}
	return a.ErrCode
}

// ConnectionsElsewhereBefore counts the user's live connections on the
// other nodes (records of other instances) recorded before client's own
// record (ConnectionPut): the connections elsewhere that came first. When
// many connections of one user arrive at once, each counts only those
// ahead of it, so exactly the first ones up to a limit are admitted;
// counting every record instead would refuse early arrivals for records
// written after theirs. This node's own connections are left to the
// caller, which counts them exactly (records of connections that just
// closed may still be here). If client has no live record, every live
// record elsewhere counts.
func (e *Engine) ConnectionsElsewhereBefore(ctx context.Context, user, client string) (int, error) {
	own := e.connSubject(user, client)
	var ownSeq uint64
	var seqs []uint64
	err := e.scanLatest(ctx, subjectConns+userToken(user)+".>", func(m *nats.Msg) {
		s, perr := parseSeq(m)
		if perr != nil {
			return
		}
		switch subject := m.Header.Get(hdrSubject); {
		case subject == own:
			ownSeq = s
		case !strings.HasSuffix(subject, "."+e.instToken):
			seqs = append(seqs, s)
		}
	})
	if err != nil {
		return 0, fmt.Errorf("engine: connections of %q: %w", user, err)
	}
	if ownSeq == 0 {
		return len(seqs), nil
	}
	n := 0
	for _, s := range seqs {
		if s < ownSeq {
			n++
		}
	}
	return n, nil
}

// ConnectionCount counts a user's live connections on every node.
func (e *Engine) ConnectionCount(ctx context.Context, user string) (int, error) {
	n := 0
	err := e.scanLatest(ctx, subjectConns+userToken(user)+".>", func(*nats.Msg) { n++ })
	return n, err
}
