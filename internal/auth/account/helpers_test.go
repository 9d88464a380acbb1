package account

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/engine"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// engineStore keeps the records in a real embedded JetStream (no mock of
// the engine): the engine's KV with the hub's key escaping.
type engineStore struct{ e *engine.Engine }

func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, engine.ErrKeyNotFound):
		return errors.Join(ErrNotFound, err)
	case errors.Is(err, engine.ErrKeyExists):
		return errors.Join(ErrExists, err)
	case errors.Is(err, engine.ErrRevisionMoved):
		return errors.Join(ErrConflict, err)
	}
	return err
}

func (s engineStore) Get(ctx context.Context, b, k string) ([]byte, uint64, error) {
	e, err := s.e.KVGet(ctx, b, k)
	return e.Value, e.Revision, mapErr(err)
}
func (s engineStore) Create(ctx context.Context, b, k string, v []byte) (uint64, error) {
	r, err := s.e.KVCreate(ctx, b, k, v)
	return r, mapErr(err)
}
func (s engineStore) Update(ctx context.Context, b, k string, v []byte, rev uint64) (uint64, error) {
	r, err := s.e.KVUpdate(ctx, b, k, v, rev)
	return r, mapErr(err)
}
func (s engineStore) Put(ctx context.Context, b, k string, v []byte) (uint64, error) {
	r, err := s.e.KVPut(ctx, b, k, v)
	return r, mapErr(err)
}
func (s engineStore) Delete(ctx context.Context, b, k string) error {
	return mapErr(s.e.KVDelete(ctx, b, k))
}
func (s engineStore) Keys(ctx context.Context, b, f string, limit int) ([]string, error) {
	keys, err := s.e.KVKeys(ctx, b, f, limit)
	return keys, mapErr(err)
}
func (engineStore) Key(parts ...string) string { return hub.KVKey(parts...) }

// cut is one Disconnect order the service gave.
type cut struct {
	user string
	f    Filter
	d    wire.Disconnect
}

// fixture is a Service on a real embedded engine, recording the
// disconnect orders and notices it gives, with a clock the test moves.
type fixture struct {
	*Service
	verifier *auth.Verifier

	mu      sync.Mutex
	now     time.Time
	cuts    []cut
	notices map[string][]wire.AccountNotice
}

const testSecret = "account-test-secret-0123456789abcdef"

func newFixture(t testing.TB, mutate func(*Config)) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	eng, err := engine.Start(ctx, engine.Config{DataDir: t.TempDir(), NodeName: "account-test", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	key, err := auth.NewHMACKey("", testSecret)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.NewKeySet(key)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.VerifierConfig{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{verifier: v, now: time.Now(), notices: make(map[string][]wire.AccountNotice)}
	cfg := Config{
		Store: engineStore{eng},
		Mint:  func(c auth.MintClaims) (string, error) { return auth.Mint(key, c) },
		Disconnect: func(user string, flt Filter, d wire.Disconnect) error {
			f.mu.Lock()
			f.cuts = append(f.cuts, cut{user, flt, d})
			f.mu.Unlock()
			return nil
		},
		Notify: func(_ context.Context, user string, n wire.AccountNotice) error {
			f.mu.Lock()
			f.notices[user] = append(f.notices[user], n)
			f.mu.Unlock()
			return nil
		},
		TokenTTL: 5 * time.Minute, IdleTimeout: 24 * time.Hour, MaxAge: 72 * time.Hour, ReuseWindow: 10 * time.Second,
		Hash:             HashParams{MemoryKiB: 64, Iterations: 1, Concurrency: 2, Queue: 8},
		AddressPerMinute: 1000, EmailPerHour: 1000,
		Signup: true, Guests: true,
		Now: f.clock,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	svc, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.Service = svc
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func (f *fixture) lastCut() cut {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.cuts) == 0 {
		return cut{}
	}
	return f.cuts[len(f.cuts)-1]
}

func (f *fixture) noticeTypes(user string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, n := range f.notices[user] {
		out = append(out, n.Type)
	}
	return out
}

// principal verifies a grant's connection token and authorizes it.
func (f *fixture) principal(t testing.TB, g *Grant) Principal {
	t.Helper()
	c, err := f.verifier.VerifyConnect(g.Token, f.clock())
	if err != nil {
		t.Fatalf("connection token: %v", err)
	}
	p, err := f.Authorize(context.Background(), c)
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	return p
}

var (
	laptop = Client{Addr: netip.MustParseAddr("203.0.113.7"),
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"}
	phone = Client{Addr: netip.MustParseAddr("2001:db8:1:2::77"),
		UserAgent: "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36"}
)

// wantCode fails unless err is an *Error with code.
func wantCode(t testing.TB, err error, code uint32) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Wire.Code != code {
		t.Fatalf("err = %v; want code %d", err, code)
	}
	return e
}
