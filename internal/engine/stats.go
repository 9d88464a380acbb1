package engine

import (
	"context"
	"sort"

	"github.com/nats-io/nats-server/v2/server"
)

// LeafStat is the traffic of one leaf link of the embedded server, counted
// since that link connected (a reconnect starts again from 0). On a core it
// is one edge; on an edge, the link to the core.
type LeafStat struct {
	Name     string // the server name at the other end
	InMsgs   int64  // messages received over the link
	OutMsgs  int64  // messages sent over the link
	InBytes  int64  // payload bytes received
	OutBytes int64  // payload bytes sent
}

// LeafStats lists the embedded server's leaf links, sorted by name; nil
// for an external NATS.
func (e *Engine) LeafStats() []LeafStat {
	if e.srv == nil {
		return nil
	}
	lz, err := e.srv.Leafz(&server.LeafzOptions{})
	if err != nil {
		return nil
	}
	out := make([]LeafStat, 0, len(lz.Leafs))
	for _, l := range lz.Leafs {
		out = append(out, LeafStat{Name: l.Name, InMsgs: l.InMsgs, OutMsgs: l.OutMsgs, InBytes: l.InBytes, OutBytes: l.OutBytes})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// StreamLeaders returns the server name leading each stream this engine
// ensured ("" when the stream has no leader right now, or on a single node
// without clustering).
func (e *Engine) StreamLeaders(ctx context.Context) map[string]string {
	e.mu.Lock()
	names := make([]string, 0, len(e.streams)+2)
	for _, s := range e.streams {
		names = append(names, s.name)
	}
	e.mu.Unlock()
	names = append(names, presenceStream, probeStream)
	out := make(map[string]string, len(names))
	for _, name := range names {
		st, err := e.js.Stream(ctx, name)
		if err != nil {
			out[name] = ""
			continue
		}
		if ci := st.CachedInfo().Cluster; ci != nil {
			out[name] = ci.Leader
		} else {
			out[name] = ""
		}
	}
	return out
}
