package engine

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ErrStoreFailed is returned (wrapped, with the server's own words) for a
// publication to a namespace whose stream can no longer be written on this
// node: its file store hit a write error (a full disk, the open-file limit,
// the file-size limit). The embedded NATS server keeps such an error until
// it restarts: it stores nothing more in that stream and does not answer
// the publishes it drops (nats-server v2.15, filestore.setWriteErr and
// stream.setWriteErrLocked). The publication was not stored; the node must
// be restarted once the cause is fixed. Retrying on another node works.
var ErrStoreFailed = errors.New("engine: the stream's store failed on this node")

// storeHealth remembers which streams the embedded server reported as
// failed. A failure is never cleared: only a restart clears it in the
// server.
type storeHealth struct {
	mu        sync.Mutex
	checkedAt time.Time         // last report asked for (mu)
	failed    map[string]string // stream → the cause, e.g. "no space left on device" (mu)
}

// storeCheckEvery bounds how often a publish that timed out asks the
// server for its stream report (it reads the store directory).
const storeCheckEvery = time.Second

// knownStoreFailure returns the failure already known for stream, without
// asking the server: the publish path's fast check.
func (e *Engine) knownStoreFailure(namespace, stream string) error {
	e.stores.mu.Lock()
	defer e.stores.mu.Unlock()
	if msg, ok := e.stores.failed[stream]; ok {
		return storeFailedError(namespace, msg)
	}
	return nil
}

// checkStore asks the embedded server (at most once per storeCheckEvery)
// whether stream has failed, and returns the failure if it has. With an
// external server, or a clustered one (its single-replica streams are not
// reported), it returns nil.
func (e *Engine) checkStore(namespace, stream string) error {
	e.refreshStoreFailures(false)
	return e.knownStoreFailure(namespace, stream)
}

// StoreFailures returns, for each stream of this node's embedded server
// that can no longer be written, the cause (the system error, without the
// file's path, which only the log shows). force asks the server even if it
// was asked within storeCheckEvery.
func (e *Engine) StoreFailures(force bool) map[string]string {
	e.refreshStoreFailures(force)
	e.stores.mu.Lock()
	defer e.stores.mu.Unlock()
	out := make(map[string]string, len(e.stores.failed))
	for k, v := range e.stores.failed {
		out[k] = v
	}
	return out
}

func (e *Engine) refreshStoreFailures(force bool) {
	if e.srv == nil || e.cfg.ClusterListen != "" {
		return
	}
	e.stores.mu.Lock()
	if !force && time.Since(e.stores.checkedAt) < storeCheckEvery {
		e.stores.mu.Unlock()
		return
	}
	e.stores.checkedAt = time.Now()
	e.stores.mu.Unlock()
	hs := e.srv.Healthz(&server.HealthzOptions{Details: true})
	for _, he := range hs.Errors {
		if he.Type != server.HealthzErrorStream || he.Stream == "" || !strings.Contains(he.Error, "write error") {
			continue
		}
		e.stores.mu.Lock()
		_, known := e.stores.failed[he.Stream]
		if !known {
			if e.stores.failed == nil {
				e.stores.failed = make(map[string]string)
			}
			e.stores.failed[he.Stream] = failureCause(he.Error)
		}
		e.stores.mu.Unlock()
		if !known {
			e.log.Error("a stream can no longer be written: nothing more is stored in it until this node restarts; fix the cause (disk space, open-file limit) and restart the node",
				"stream", he.Stream, "err", he.Error)
		}
	}
}

// failureCause is the last part of the server's error text ("JetStream
// stream '$G > lr_ns_room' write error: write /data/…/1.blk: no space left
// on device" → "no space left on device"): what an operator must fix,
// without paths for readiness answers and client errors.
func failureCause(text string) string {
	if i := strings.LastIndex(text, ": "); i >= 0 && i+2 < len(text) {
		return text[i+2:]
	}
	return text
}

// storeFailuresError says which streams failed, in a stable order.
func storeFailuresError(failed map[string]string) error {
	names := slices.Sorted(maps.Keys(failed))
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("stream %s: write error: %s", n, failed[n])
	}
	return fmt.Errorf("%w: %s; this node stores nothing more in it until it restarts: fix the cause (disk space, open-file limit) and restart the node",
		ErrStoreFailed, strings.Join(parts, "; "))
}

func storeFailedError(namespace, msg string) error {
	return fmt.Errorf("%w: namespace %q: write error: %s", ErrStoreFailed, namespace, msg)
}
