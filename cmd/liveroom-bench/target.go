package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
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

// Targets the tool can drive.
const (
	targetLiveroom   = "liveroom"
	targetCentrifuge = "centrifuge"
	targetSocketIO   = "socketio"
)

// targetSpec is what a process needs to reach the server: it crosses to
// child processes as JSON.
type targetSpec struct {
	Kind        string `json:"kind"`  // liveroom, centrifuge or socketio
	Proto       string `json:"proto"` // json or protobuf (centrifuge protocol only)
	Addr        string `json:"addr"`  // host:port
	APIKey      string `json:"api_key"`
	TokenSecret string `json:"token_secret"`
	// SrcFirst … SrcFirst+SrcCount-1 are the last bytes of the loopback
	// source addresses this process dials from; SrcCount 0: the kernel picks.
	SrcFirst int `json:"src_first"`
	SrcCount int `json:"src_count"`
}

// target is the server under test, how to reach it, and the flags every
// scenario shares.
type target struct {
	rawURL      string
	dataDir     string
	serverPID   int
	sourceAddrs int
	serverLog   string
	cpuProfile  string
	latencyLog  string
	procs       int
	label       string
	spec        targetSpec
	stderr      io.Writer // where child processes log

	// Set by resolve or fromSpec.
	base    string // http://host:port
	key     auth.Key
	dialers []*net.Dialer // one per source address
	codec   codec
}

func (t *target) register(fs *flag.FlagSet) {
	fs.StringVar(&t.rawURL, "url", "http://127.0.0.1:8080", "server base URL (as in its \"listening on\" line)")
	fs.StringVar(&t.spec.Kind, "target", targetLiveroom, "server kind: liveroom, centrifuge (same protocol) or socketio (Engine.IO v4 / Socket.IO v5)")
	fs.StringVar(&t.spec.Proto, "proto", "json", "client protocol encoding for liveroom and centrifuge: json or protobuf")
	fs.StringVar(&t.dataDir, "data-dir", "", "the server's data directory: its generated token secret and API key are read from there")
	fs.StringVar(&t.spec.APIKey, "api-key", "", "server API key (instead of the one generated into --data-dir)")
	fs.StringVar(&t.spec.TokenSecret, "token-secret", "", "HS256 token secret (instead of the one generated into --data-dir)")
	fs.IntVar(&t.serverPID, "server-pid", 0, "server process id: its CPU time and memory are read from /proc")
	fs.IntVar(&t.sourceAddrs, "source-addrs", 8, "each tool process dials from this many loopback source addresses of its own (127.0.0.1 … for the first)")
	fs.IntVar(&t.procs, "procs", 1, "tool processes holding the connections (each under the open file limit, each with its own source addresses); results are merged")
	fs.StringVar(&t.cpuProfile, "cpuprofile", "", "write this tool's CPU profile to the file")
	fs.StringVar(&t.latencyLog, "latency-log", "", "write every delivery of each measurement window (arrival Unix ns, latency ns, connection) to PREFIX-p<process>-w<window>.tsv")
	fs.StringVar(&t.serverLog, "server-log", "", "server's stderr file, when it runs with GODEBUG=gctrace=1: the Go heap is read from it")
	fs.StringVar(&t.label, "label", "", "free text copied into the result line (for example the server config that differs)")
}

func (t *target) resolve() error {
	u, err := url.Parse(t.rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "ws") {
		return fmt.Errorf("--url %q: want http://host:port", t.rawURL)
	}
	t.spec.Addr = u.Host
	if t.dataDir != "" && (t.spec.APIKey == "" || t.spec.TokenSecret == "") {
		if _, err := os.Stat(filepath.Join(t.dataDir, auth.SecretsFile)); err != nil {
			return fmt.Errorf("--data-dir: no generated secrets there: %w", err)
		}
		s, _, err := auth.LoadOrCreateSecrets(t.dataDir)
		if err != nil {
			return fmt.Errorf("--data-dir: %w", err)
		}
		t.spec.APIKey = firstSet(t.spec.APIKey, s.APIKey)
		t.spec.TokenSecret = firstSet(t.spec.TokenSecret, s.TokenSecret)
	}
	if t.spec.APIKey == "" || t.spec.TokenSecret == "" {
		return errors.New("give --data-dir, or --api-key and --token-secret")
	}
	if t.procs < 1 || t.procs > 16 {
		return errors.New("--procs: 1 to 16")
	}
	host, _, _ := net.SplitHostPort(t.spec.Addr)
	if ip := net.ParseIP(host).To4(); ip != nil && ip.IsLoopback() && t.sourceAddrs > 1 {
		if t.procs*t.sourceAddrs > 250 {
			return errors.New("--procs × --source-addrs: at most 250 loopback addresses")
		}
		t.spec.SrcFirst, t.spec.SrcCount = 1, t.sourceAddrs
	}
	return t.prepare()
}

// fromSpec makes a target for a child process.
func fromSpec(spec targetSpec) (*target, error) {
	t := &target{spec: spec}
	return t, t.prepare()
}

// prepare derives the key, dialers and codec from the spec.
func (t *target) prepare() error {
	var err error
	t.base = "http://" + t.spec.Addr
	if t.key, err = auth.NewHMACKey("", t.spec.TokenSecret); err != nil {
		return fmt.Errorf("token secret: %w", err)
	}
	if t.codec, err = newCodec(t.spec.Kind, t.spec.Proto); err != nil {
		return err
	}
	t.dialers = nil
	if t.spec.SrcCount == 0 {
		t.dialers = []*net.Dialer{{Timeout: 10 * time.Second}}
		return nil
	}
	for i := range t.spec.SrcCount {
		last := t.spec.SrcFirst + i
		if last < 1 || last > 254 {
			return fmt.Errorf("source address 127.0.0.%d out of range", last)
		}
		src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(last))}
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

// name is the target as result keys show it: the kind, with the encoding
// when it is not JSON.
func (t *target) name() string {
	if t.spec.Proto != "" && t.spec.Proto != "json" {
		return t.spec.Kind + "-" + t.spec.Proto
	}
	return t.spec.Kind
}
