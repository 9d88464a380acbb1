package engine

import (
	"context"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
)

// sharedNATS runs a NATS server with JetStream that several engines use
// (nats_url), as the nodes of a cluster share one stream per namespace.
func sharedNATS(t *testing.T) string {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, JetStream: true, StoreDir: t.TempDir(),
		NoSigs: true, NoLog: true, ServerName: "shared",
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return ns.ClientURL()
}

// TestANodeCannotLowerTheSharedStream: a node whose configuration asks
// for a smaller history_size used to update the namespace's stream for
// every node, trimming history everywhere. It must keep the larger value
// (and say so); a larger value is applied; ApplyLowerLimits lowers it on
// purpose.
func TestANodeCannotLowerTheSharedStream(t *testing.T) {
	url := sharedNATS(t)
	ctx := context.Background()
	node := func(name string, lower bool, history int) *Engine {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		e, err := Start(sctx, Config{NATSURL: url, NodeName: name, ApplyLowerLimits: lower})
		if err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		t.Cleanup(func() { closeEngine(t, e) })
		ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: history})
		return e
	}
	kept := func(e *Engine) int64 {
		t.Helper()
		s, err := e.stream("room")
		if err != nil {
			t.Fatal(err)
		}
		st, err := e.js.Stream(ctx, s.name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.Config.MaxMsgsPerSubject
	}
	a := node("a", false, 100)
	for i := 0; i < 20; i++ {
		if _, err := a.Publish(ctx, Ref("room", "x"), []byte(`{}`), ""); err != nil {
			t.Fatal(err)
		}
	}
	node("b", false, 5)
	if got := kept(a); got != 100 {
		t.Fatalf("after a node asking for 5: the stream keeps %d per channel; want 100", got)
	}
	if w, err := a.ReadAfter(ctx, Ref("room", "x"), 0, -1, time.Now()); err != nil || len(w.Pubs) != 20 {
		t.Fatalf("history after a node asking for 5: %d publications, %v; want all 20", len(w.Pubs), err)
	}
	node("c", false, 200)
	if got := kept(a); got != 200 {
		t.Fatalf("after a node asking for 200: %d; want it raised to 200", got)
	}
	node("d", true, 10)
	if got := kept(a); got != 10 {
		t.Fatalf("after a node with ApplyLowerLimits asking for 10: %d; want 10", got)
	}
}

func TestReconcileStreamKeepsWhatLowersData(t *testing.T) {
	have := jetstream.StreamConfig{Replicas: 3, MaxMsgsPerSubject: 1000, MaxBytes: -1, MaxMsgs: 0}
	want := jetstream.StreamConfig{Replicas: 1, MaxMsgsPerSubject: 5, MaxBytes: 1 << 20, MaxMsgs: 10}
	got, kept := reconcileStream(have, want, false)
	if got.Replicas != 3 || got.MaxMsgsPerSubject != 1000 || got.MaxBytes != -1 || got.MaxMsgs != 0 || len(kept) != 4 {
		t.Fatalf("reconcile lowered: %+v, kept %v", got, kept)
	}
	got, kept = reconcileStream(have, jetstream.StreamConfig{Replicas: 5, MaxMsgsPerSubject: 2000}, false)
	if got.Replicas != 5 || got.MaxMsgsPerSubject != 2000 || len(kept) != 0 {
		t.Fatalf("reconcile did not raise: %+v, kept %v", got, kept)
	}
	if got, _ = reconcileStream(have, want, true); got.Replicas != 1 || got.MaxMsgsPerSubject != 5 {
		t.Fatalf("with lowering allowed: %+v; want the configuration's", got)
	}
}
