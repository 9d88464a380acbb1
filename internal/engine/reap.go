package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ReapedEntry is a presence entry of a node run that is gone, removed by
// this node.
type ReapedEntry struct {
	Namespace string // "" for the default namespace
	Channel   string
	User      string
	Client    string
	Info      []byte // as given to PresencePut
}

// ReapInstance removes the presence entries and connection records written
// by the node run instance (see Config.Instance), which the caller knows to
// be gone, and calls fn for each presence entry this node removed.
//
// Several nodes may reap the same run at once: each entry is removed with a
// write that expects the entry's own sequence, so exactly one node removes
// it and reports it, and the others skip it. That is what lets every
// subscriber get exactly one leave. It returns how many presence entries
// this node removed; on an error, those removed so far were reported.
func (e *Engine) ReapInstance(ctx context.Context, instance string, fn func(ReapedEntry)) (int, error) {
	if instance == "" {
		return 0, errors.New("engine: reap: empty instance")
	}
	inst := EncodeToken(instance)
	type found struct {
		subject string
		seq     uint64
		info    []byte
	}
	var entries, conns []found
	collect := func(dst *[]found) func(m *nats.Msg) {
		return func(m *nats.Msg) {
			seq, err := parseSeq(m)
			if err == nil {
				*dst = append(*dst, found{subject: m.Header.Get(hdrSubject), seq: seq, info: m.Data})
			}
		}
	}
	if err := e.scanLatest(ctx, subjectPresence+"*.*.*.*."+inst, collect(&entries)); err != nil {
		return 0, fmt.Errorf("engine: reap presence of %s: %w", instance, err)
	}
	if err := e.scanLatest(ctx, subjectConns+"*.*."+inst, collect(&conns)); err != nil {
		return 0, fmt.Errorf("engine: reap connections of %s: %w", instance, err)
	}
	n := 0
	for _, f := range entries {
		won, err := e.tombstoneIf(ctx, f.subject, f.seq)
		if err != nil {
			return n, fmt.Errorf("engine: reap presence of %s: %w", instance, err)
		}
		if !won {
			continue
		}
		if r, ok := parseReaped(f.subject, f.info); ok {
			n++
			fn(r)
		}
	}
	for _, f := range conns {
		if _, err := e.tombstoneIf(ctx, f.subject, f.seq); err != nil {
			return n, fmt.Errorf("engine: reap connections of %s: %w", instance, err)
		}
	}
	return n, nil
}

// tombstoneIf writes a tombstone over subject if its newest message is
// still seq. won is false when another writer got there first.
func (e *Engine) tombstoneIf(ctx context.Context, subject string, seq uint64) (won bool, err error) {
	msg := &nats.Msg{Subject: subject, Header: nats.Header{}}
	msg.Header.Set(hdrGone, "1")
	_, err = e.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequencePerSubject(seq))
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && (apiErr.ErrorCode == errCodeWrongLastSeq || apiErr.ErrorCode == errCodeInFlightSeq) {
		return false, nil
	}
	return err == nil, err
}

// parseReaped splits lr.presence.<ns>.<channel>.<user>.<client>.<instance>.
func parseReaped(subject string, info []byte) (ReapedEntry, bool) {
	parts := strings.Split(strings.TrimPrefix(subject, subjectPresence), ".")
	if len(parts) != 5 {
		return ReapedEntry{}, false
	}
	ns := parts[0]
	if ns == defaultNSToken {
		ns = ""
	}
	channel, err := DecodeToken(parts[1])
	if err != nil {
		return ReapedEntry{}, false
	}
	user, client, ok := splitPresenceSubject(strings.Join(parts[2:], "."))
	if !ok {
		return ReapedEntry{}, false
	}
	return ReapedEntry{Namespace: ns, Channel: channel, User: user, Client: client, Info: info}, true
}
