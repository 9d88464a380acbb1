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

// ErrStoreFailed is returned (wrapped, with the cause) for a publication
// to a namespace, or a write to a key-value bucket, whose stream can no
// longer be written on this node: its file store hit a write error (a full disk, the open-file limit,
// the file-size limit). The embedded NATS server keeps such an error until
// it restarts: it stores nothing more in that stream and does not answer
// the publishes it drops (nats-server v2.15, filestore.setWriteErr and
// stream.setWriteErrLocked). The publication was not stored; the node must
// be restarted once the cause is fixed. Retrying on another node works.
var ErrStoreFailed = errors.New("the store failed on this node")

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
// asking the server: the write paths' fast check. what names the stream's
// content for the error ("namespace \"room\"").
func (e *Engine) knownStoreFailure(what, stream string) error {
	e.stores.mu.Lock()
	defer e.stores.mu.Unlock()
	if msg, ok := e.stores.failed[stream]; ok {
		return fmt.Errorf("%w: %s: write error: %s", ErrStoreFailed, what, msg)
	}
	return nil
}

// StoreFailure returns ErrStoreFailed (wrapped) when the namespace's stream
// is already known to have failed on this node, else nil. It does not ask
// the server: it costs a map lookup.
func (e *Engine) StoreFailure(namespace string) error {
	return e.knownStoreFailure(namespaceLabel(namespace), streamName(namespace))
}

// checkStore asks the embedded server (at most once per storeCheckEvery)
// whether stream has failed, and returns the failure if it has. With an
// external server, or a clustered one (its single-replica streams are not
// reported), it returns nil.
func (e *Engine) checkStore(what, stream string) error {
	e.refreshStoreFailures(false)
	return e.knownStoreFailure(what, stream)
}

// storeWrite runs one write to stream: refused at once when the stream is
// known to have failed, and checked after an attempt that got no answer in
// time (the server drops such writes without answering).
func (e *Engine) storeWrite(what, stream string, write func() error) error {
	if err := e.knownStoreFailure(what, stream); err != nil {
		return err
	}
	err := write()
	if err != nil && timedOut(err) {
		if ferr := e.checkStore(what, stream); ferr != nil {
			return ferr
		}
	}
	return err
}

func namespaceLabel(namespace string) string { return fmt.Sprintf("namespace %q", namespace) }

func bucketLabel(bucket string) string { return fmt.Sprintf("key-value bucket %q", bucket) }

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

// streamContent says what a stream of liveroom's holds, from its name.
func streamContent(stream string) string {
	switch {
	case stream == "lr_default":
		return namespaceLabel("")
	case strings.HasPrefix(stream, "lr_ns_"):
		return namespaceLabel(strings.TrimPrefix(stream, "lr_ns_"))
	case strings.HasPrefix(stream, kvStreamPrefix+kvBucketPrefix):
		return bucketLabel(strings.TrimPrefix(stream, kvStreamPrefix+kvBucketPrefix))
	}
	return "stream " + stream
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
		parts[i] = fmt.Sprintf("%s (stream %s): write error: %s", streamContent(n), n, failed[n])
	}
	return fmt.Errorf("%w: %s; nothing more is stored there until this node restarts: fix the cause (disk space, open-file limit) and restart the node",
		ErrStoreFailed, strings.Join(parts, "; "))
}
