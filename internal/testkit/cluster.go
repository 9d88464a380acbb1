package testkit

import (
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/auth"
)

// Shared is what the nodes of a test cluster have in common: one config
// file holding the API key and the token key (as docs/cluster.md tells
// users to do), so tokens and API calls work on every node.
type Shared struct {
	t          testing.TB
	ConfigPath string
	APIKey     string
	key        auth.Key
}

// NewShared writes a config file with fresh secrets followed by extraTOML
// (top-level keys and tables, may be empty).
func NewShared(t testing.TB, extraTOML string) *Shared {
	t.Helper()
	secret := rand.Text() + rand.Text()
	apiKey := "test-" + rand.Text()
	key, err := auth.NewHMACKey("", secret)
	if err != nil {
		t.Fatal(err)
	}
	// Top-level keys must come before the first table.
	top, tables := splitTOML(extraTOML)
	doc := fmt.Sprintf("%s\n[api]\nkey = %q\n\n[[auth.keys]]\nalgorithm = \"HS256\"\nsecret = %q\n\n%s\n", top, apiKey, secret, tables)
	path := filepath.Join(t.TempDir(), "liveroom.toml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return &Shared{t: t, ConfigPath: path, APIKey: apiKey, key: key}
}

// splitTOML separates the top-level keys of a TOML snippet from its
// tables.
func splitTOML(s string) (top, tables string) {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "[") {
			return strings.Join(lines[:i], "\n"), strings.Join(lines[i:], "\n")
		}
	}
	return s, ""
}

// Token mints a connection token for user, valid for an hour.
func (s *Shared) Token(user string) string {
	s.t.Helper()
	tok, err := auth.Mint(s.key, auth.MintClaims{User: user, Name: user, TTL: time.Hour})
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

// Start runs a node named name with the shared config, a fresh data
// directory and args.
func (s *Shared) Start(name string, args ...string) *Process {
	s.t.Helper()
	p, err := s.start(name, args...)
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}

func (s *Shared) start(name string, args ...string) (*Process, error) {
	dir, err := os.MkdirTemp("", "liveroom-"+name+"-")
	if err != nil {
		return nil, err
	}
	s.t.Cleanup(func() { _ = os.RemoveAll(dir) })
	p, err := startProcess(s.t, Binary(s.t), dir, append([]string{"--config", s.ConfigPath, "--node-name", name}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", name, err)
	}
	p.APIKey = s.APIKey
	return p, nil
}

// NodeSpec is one node for StartAll.
type NodeSpec struct {
	Name string
	Args []string
}

// StartAll starts nodes at the same time (a cluster's first nodes wait for
// each other before they listen) and returns them in the order given.
func (s *Shared) StartAll(specs ...NodeSpec) []*Process {
	s.t.Helper()
	Binary(s.t) // build once, before the goroutines
	out := make([]*Process, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, sp := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = s.start(sp.Name, sp.Args...)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			s.t.Fatal(err)
		}
	}
	return out
}

// FreeAddr returns a loopback host:port that was free a moment ago, for
// listeners whose address other processes must know before they start
// (NATS routes).
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
