package testkit

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/auth"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// ModuleRoot is the repository root (where go.mod is).
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Binary builds ./cmd/liveroom once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "liveroom-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "liveroom")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/liveroom")
		cmd.Dir = ModuleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// Process is the liveroom binary running as a child process.
type Process struct {
	t       testing.TB
	cmd     *exec.Cmd
	args    []string // as given to StartProcess
	DataDir string
	BaseURL string
	WSURL   string
	APIKey  string
	exited  chan struct{}
	logMu   sync.Mutex
	log     []string
}

var listeningRe = regexp.MustCompile(`listening on (http://\S+)`)

// StartProcess runs the binary with --addr 127.0.0.1:0 --data-dir dataDir
// and the extra args, waits for its "listening on" line, and kills it when
// the test ends.
func StartProcess(t testing.TB, dataDir string, args ...string) *Process {
	t.Helper()
	p, err := startProcess(t, Binary(t), dataDir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// StartProcessWithFileLimit is StartProcess with the process's open-file
// limit (RLIMIT_NOFILE) set to fileLimit, through the shell's ulimit.
func StartProcessWithFileLimit(t testing.TB, dataDir string, fileLimit int, args ...string) *Process {
	t.Helper()
	p, err := startProcessLimited(t, Binary(t), dataDir, fileLimit, args...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startProcess is StartProcess for any goroutine: it returns errors
// instead of failing the test.
func startProcess(t testing.TB, bin, dataDir string, args ...string) (*Process, error) {
	return startProcessLimited(t, bin, dataDir, 0, args...)
}

// startProcessLimited is startProcess with an open-file limit (0: as
// inherited).
func startProcessLimited(t testing.TB, bin, dataDir string, fileLimit int, args ...string) (*Process, error) {
	all := append([]string{"--addr", "127.0.0.1:0", "--data-dir", dataDir}, args...)
	cmd := exec.Command(bin, all...)
	if fileLimit > 0 {
		script := fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, fileLimit)
		cmd = exec.Command("sh", append([]string{"-c", script, bin}, all...)...)
	}
	cmd.Env = append(os.Environ(), "LIVEROOM_LOG_LEVEL=warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &Process{t: t, cmd: cmd, args: args, DataDir: dataDir, exited: make(chan struct{})}
	cmd.Stderr = logWriter{p}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.Kill)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			p.addLog(line)
			if m := listeningRe.FindStringSubmatch(line); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case url := <-found:
		p.BaseURL = url
		p.WSURL = "ws" + strings.TrimPrefix(url, "http") + "/connection/websocket"
	case <-p.exited:
		return nil, fmt.Errorf("liveroom exited before listening:\n%s", p.Log())
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("liveroom did not print its address:\n%s", p.Log())
	}
	secrets, _, err := auth.LoadOrCreateSecrets(dataDir)
	if err != nil {
		return nil, err
	}
	p.APIKey = secrets.APIKey
	return p, nil
}

type logWriter struct{ p *Process }

func (w logWriter) Write(b []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		w.p.addLog(line)
	}
	return len(b), nil
}

func (p *Process) addLog(line string) {
	p.logMu.Lock()
	p.log = append(p.log, line)
	p.logMu.Unlock()
}

// Log is everything the process printed so far.
func (p *Process) Log() string {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	return strings.Join(p.log, "\n")
}

// Token mints a connection token with the data directory's secret.
func (p *Process) Token(user string) string {
	p.t.Helper()
	secrets, _, err := auth.LoadOrCreateSecrets(p.DataDir)
	if err != nil {
		p.t.Fatal(err)
	}
	key, err := secrets.Key()
	if err != nil {
		p.t.Fatal(err)
	}
	tok, err := auth.Mint(key, auth.MintClaims{User: user, TTL: time.Hour})
	if err != nil {
		p.t.Fatal(err)
	}
	return tok
}

// Pid is the process id (for reading its CPU time and memory in /proc).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Kill9 kills the process with SIGKILL and waits for it to exit.
func (p *Process) Kill9() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// Signal sends sig and waits up to d for the exit; it returns the exit code.
func (p *Process) Signal(sig os.Signal, d time.Duration) (int, error) {
	_ = p.cmd.Process.Signal(sig)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode(), nil
	case <-ctx.Done():
		return -1, fmt.Errorf("no exit within %s", d)
	}
}

// Restart starts the binary again with the same data directory and
// arguments (after Kill9 or an exit). The HTTP address is new (port 0).
func (p *Process) Restart() *Process {
	p.t.Helper()
	p.Kill()
	np := StartProcess(p.t, p.DataDir, p.args...)
	np.APIKey = p.APIKey
	return np
}

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// Kill stops the process if it still runs.
func (p *Process) Kill() {
	select {
	case <-p.exited:
	default:
		p.Kill9()
	}
}

// PID is the process id of the running binary.
func (p *Process) PID() int { return p.cmd.Process.Pid }
