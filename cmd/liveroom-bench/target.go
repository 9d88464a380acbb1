package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/procstat"
	"github.com/liveroom-dev/liveroom/internal/auth"
)

// errUsage reports bad flags; the flag package has printed why.
var errUsage = errors.New("usage")

// wsPath is the server's WebSocket endpoint.
const wsPath = "/connection/websocket"

// target is the server under test and how to reach it.
type target struct {
	rawURL      string
	dataDir     string
	apiKey      string
	tokenSecret string
	serverPID   int
	sourceAddrs int
	serverLog   string
	cpuProfile  string

	// Set by resolve.
	addr    string // host:port
	base    string // http://host:port
	key     auth.Key
	dialers []*net.Dialer // one per source address
}

func (t *target) register(fs *flag.FlagSet) {
	fs.StringVar(&t.rawURL, "url", "http://127.0.0.1:8080", "server base URL (as in its \"listening on\" line)")
	fs.StringVar(&t.dataDir, "data-dir", "", "the server's data directory: its generated token secret and API key are read from there")
	fs.StringVar(&t.apiKey, "api-key", "", "server API key (instead of the one generated into --data-dir)")
	fs.StringVar(&t.tokenSecret, "token-secret", "", "HS256 token secret (instead of the one generated into --data-dir)")
	fs.IntVar(&t.serverPID, "server-pid", 0, "server process id: its CPU time and memory are read from /proc")
	fs.IntVar(&t.sourceAddrs, "source-addrs", 8, "spread connections over source addresses 127.0.0.1 … 127.0.0.N (loopback targets only)")
	fs.StringVar(&t.cpuProfile, "cpuprofile", "", "write this tool's CPU profile to the file")
	fs.StringVar(&t.serverLog, "server-log", "", "server's stderr file, when it runs with GODEBUG=gctrace=1: the Go heap is read from it")
}

func (t *target) resolve() error {
	u, err := url.Parse(t.rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "ws") {
		return fmt.Errorf("--url %q: want http://host:port", t.rawURL)
	}
	t.addr, t.base = u.Host, "http://"+u.Host
	if t.dataDir != "" && (t.apiKey == "" || t.tokenSecret == "") {
		if _, err := os.Stat(filepath.Join(t.dataDir, auth.SecretsFile)); err != nil {
			return fmt.Errorf("--data-dir: no generated secrets there: %w", err)
		}
		s, _, err := auth.LoadOrCreateSecrets(t.dataDir)
		if err != nil {
			return fmt.Errorf("--data-dir: %w", err)
		}
		t.apiKey = firstSet(t.apiKey, s.APIKey)
		t.tokenSecret = firstSet(t.tokenSecret, s.TokenSecret)
	}
	if t.apiKey == "" || t.tokenSecret == "" {
		return errors.New("give --data-dir, or --api-key and --token-secret")
	}
	if t.key, err = auth.NewHMACKey("", t.tokenSecret); err != nil {
		return fmt.Errorf("token secret: %w", err)
	}
	host, _, _ := net.SplitHostPort(t.addr)
	ip := net.ParseIP(host).To4()
	if ip == nil || !ip.IsLoopback() || t.sourceAddrs <= 1 {
		t.dialers = []*net.Dialer{{Timeout: 10 * time.Second}}
		return nil
	}
	for i := range min(t.sourceAddrs, 254) {
		src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i))}
		t.dialers = append(t.dialers, &net.Dialer{Timeout: 10 * time.Second, LocalAddr: src})
	}
	return nil
}

func firstSet(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// profile starts the tool's CPU profile when asked; the returned function
// stops it.
func (t *target) profile() (stop func(), err error) {
	if t.cpuProfile == "" {
		return func() {}, nil
	}
	f, err := os.Create(t.cpuProfile)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}

// dialer returns the dialer for connection i: source addresses in turn.
func (t *target) dialer(i int) *net.Dialer { return t.dialers[i%len(t.dialers)] }

// token mints a connection token for user, valid for a day.
func (t *target) token(user string) (string, error) {
	return auth.Mint(t.key, auth.MintClaims{User: user, TTL: 24 * time.Hour})
}

// sample reads the server's CPU time and memory; ok is false without
// --server-pid.
func (t *target) sample() (s procstat.Sample, ok bool, err error) {
	if t.serverPID == 0 {
		return procstat.Sample{}, false, nil
	}
	s, err = procstat.Read(t.serverPID)
	return s, err == nil, err
}

// api calls POST /api/<method> with body and decodes the answer into out
// (when not nil). A status other than 200 is an error with the body.
func (t *target) api(ctx context.Context, c *http.Client, method string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+"/api/"+method, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("api %s: %w", method, err)
	}
	req.Header.Set("X-API-Key", t.apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("api %s: %w", method, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("api %s: read answer: %w", method, err)
	}
	if resp.StatusCode != http.StatusOK {
		return &apiError{Method: method, Status: resp.StatusCode, Body: string(bytes.TrimSpace(data))}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("api %s: answer: %w", method, err)
		}
	}
	return nil
}

// apiError is an API answer other than 200.
type apiError struct {
	Method string
	Status int
	Body   string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("api %s: status %d: %s", e.Method, e.Status, e.Body)
}

// nodeInfo is one node of the info method's answer.
type nodeInfo struct {
	Clients       int64 `json:"clients"`
	Subscriptions int64 `json:"subscriptions"`
	Channels      int64 `json:"channels"`
}

// info returns the first node's counts from POST /api/info.
func (t *target) info(ctx context.Context) (nodeInfo, error) {
	var out struct {
		Nodes []nodeInfo `json:"nodes"`
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := t.api(ctx, http.DefaultClient, "info", []byte("{}"), &out); err != nil {
		return nodeInfo{}, err
	}
	if len(out.Nodes) == 0 {
		return nodeInfo{}, errors.New("api info: no nodes")
	}
	return out.Nodes[0], nil
}
