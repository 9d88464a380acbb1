//go:build chatload

package server_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// TestChatLoad measures one chat room under load: MEMBERS connections
// subscribed to the room (default 2,000), the first SENDERS of them
// (default 400) sending chat.send at RATE messages/s in total (default
// 200, each sender every SENDERS/RATE s, under the per-user limit), for
// DURATION after WARMUP, while a moderator deletes a recent message or
// times a sender out (for a minute) every 2 s. The server is the real binary in its own
// process; this process holds every client. It reports message delivery
// latency (receive time − the send's due time, so a server that falls
// behind shows as latency), how long a moderation action takes to reach
// every member, whether a timed-out sender was refused at once, and the
// server's CPU and RSS. Numbers are measurements for docs/benchmarks.md,
// never assertions:
//
//	go test -tags chatload -run TestChatLoad -timeout 20m -v ./internal/server/
func TestChatLoad(t *testing.T) {
	members, senders, rate := envInt("MEMBERS", 2000), envInt("SENDERS", 400), envInt("RATE", 200)
	measured := min(members, senders+envInt("LISTENERS", 100))
	warmup, duration := envDur("WARMUP", 10*time.Second), envDur("DURATION", 30*time.Second)
	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "load.toml")
	if err := os.WriteFile(cfg, []byte(`
[client]
ping_interval = "10m"
pong_timeout = "1m"
max_connections_per_ip = 0
max_connections_per_user = 0
accept_rate = 0
commands_per_second = 0
queue_max_bytes = "16MiB"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	p := testkit.StartProcess(t, dir, "--config", cfg)
	secrets, _, err := auth.LoadOrCreateSecrets(dir)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := secrets.Key()
	mint := func(user string, roles wire.Roles) string {
		tok, err := auth.Mint(key, auth.MintClaims{User: user, Name: user, TTL: 2 * time.Hour, Roles: roles})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	const room = "load"
	// Automatic slow mode would switch on at 5 messages/s, as designed;
	// the load is the room at 200/s, so it is off here.
	if status, err := testkit.CallAPI(p.BaseURL, p.APIKey, "chat_settings", map[string]any{"room": room,
		"set": wire.ChatSettings{Links: wire.LinksAllow}}, nil); err != nil || status != 200 {
		t.Fatalf("settings: %d %v", status, err)
	}

	l := &load{start: time.Now(), deletes: map[string]int64{}, timeouts: map[string]int64{}, byUser: map[string]*loadConn{}}
	conns := make([]*loadConn, members)
	var wg sync.WaitGroup
	connectStart := time.Now()
	for i := range conns {
		c, err := dialLoad(p.WSURL, mint(fmt.Sprintf("m%d", i), nil), room)
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
		conns[i] = c
		l.byUser[fmt.Sprintf("m%d", i)] = c
		wg.Add(1)
		if i < measured {
			go func() { defer wg.Done(); c.read(l) }()
		} else {
			go func() { defer wg.Done(); c.drain(l) }()
		}
	}
	mod, err := dialLoad(p.WSURL, mint("moderator", modRoles), room)
	if err != nil {
		t.Fatal(err)
	}
	mod.isMod = true
	wg.Add(1)
	go func() { defer wg.Done(); mod.read(l) }()
	testkit.Eventually(t, 2*time.Minute, func() bool { return l.subscribed.Load() == int64(members+1) }, "all members subscribed")
	t.Logf("%d members connected and subscribed in %s", members, time.Since(connectStart).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), warmup+duration+5*time.Second)
	defer cancel()
	begin := time.Now().Add(100 * time.Millisecond)
	go l.send(ctx, conns[:senders], rate, begin)
	go l.moderate(ctx, mod, senders, begin.Add(warmup))
	time.Sleep(time.Until(begin.Add(warmup))) // the schedule runs; this only waits for its time
	l.reset()
	cpu0, tool0, wall0 := procCPU(t, p.PID()), procCPU(t, os.Getpid()), time.Now()
	time.Sleep(duration)
	cpu1, tool1, wall1 := procCPU(t, p.PID()), procCPU(t, os.Getpid()), time.Now()
	sent, got := l.sent.Load(), l.msgs.Load()
	cancel()
	time.Sleep(2 * time.Second) // stragglers of the last second arrive (they count as delivered late)
	for _, c := range conns {
		_ = c.ws.Close()
	}
	_ = mod.ws.Close()
	wg.Wait()

	report := []string{
		fmt.Sprintf("members %d, senders %d, rate %d/s, window %s (after %s warm-up)", members, senders, rate, duration, warmup),
		fmt.Sprintf("messages sent in window %d (%.1f/s), refused %d (%s)", sent, float64(sent)/duration.Seconds(), l.refused.Load(), l.refusals()),
		fmt.Sprintf("deliveries to the %d measuring members in window %d = %.0f/s; %.4f of sent × measuring members (the other %d read and discard)",
			measured, got, float64(got)/duration.Seconds(), float64(got)/float64(max(sent*int64(measured), 1)), members-measured),
		"message delivery (due → received): " + l.msgLat.summary(),
		"moderation action → event at every member: " + l.modLat.summary(),
		"moderation RPC (sent → reply): " + l.rpcLat.summary(),
		fmt.Sprintf("sends by a timed-out user accepted after the timeout was acknowledged: %d (of %d tried)", l.leaks.Load(), l.probes.Load()),
		fmt.Sprintf("server CPU %.2f cores; RSS %s; load tool CPU %.2f cores; machine load average %s", (cpu1-cpu0)/wall1.Sub(wall0).Seconds(),
			procRSS(p.PID()), (tool1-tool0)/wall1.Sub(wall0).Seconds(), loadAvg()),
	}
	for _, line := range report {
		t.Log(line)
	}
}

// load is the shared state of one run.
type load struct {
	start                  time.Time
	subscribed             atomic.Int64
	sent, msgs, refused    atomic.Int64
	leaks, probes          atomic.Int64
	msgLat, modLat, rpcLat hist
	mu                     sync.Mutex
	deletes                map[string]int64 // message id → when the delete was sent (ns)
	timeouts               map[string]int64 // user → when the timeout was sent (ns)
	codes                  [8]atomic.Int64  // refusals by code 1000–1007
	recentMu               sync.Mutex
	recent                 []string // ids of recent messages (for deletes)
	timedOut               atomic.Value
	byUser                 map[string]*loadConn // set before the run, then only read
}

func (l *load) reset() {
	l.sent.Store(0)
	l.msgs.Store(0)
	l.msgLat.reset()
}

func (l *load) refusals() string {
	var b bytes.Buffer
	for i := range l.codes {
		if n := l.codes[i].Load(); n > 0 {
			fmt.Fprintf(&b, "%d×%d ", n, 1000+i)
		}
	}
	return b.String()
}

// send runs the senders' schedule: message k is due at begin + k/rate and
// carries that due time.
func (l *load) send(ctx context.Context, senders []*loadConn, rate int, begin time.Time) {
	for k := 0; ; k++ {
		due := begin.Add(time.Duration(k) * time.Second / time.Duration(rate))
		if d := time.Until(due); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
		if ctx.Err() != nil {
			return
		}
		c := senders[k%len(senders)]
		payload := fmt.Sprintf(`{"id":%d,"rpc":{"method":"chat.send","data":{"room":"load","text":"t=%d n=%d"}}}`, 1000+k, due.UnixNano(), k)
		if c.write([]byte(payload)) == nil {
			l.sent.Add(1)
		}
	}
}

// moderate acts every 2 s: deletes a recent message, or times out a
// sender for a minute (long enough that a probe slowed down by a busy
// machine still falls inside it) and then has that sender try to send.
func (l *load) moderate(ctx context.Context, mod *loadConn, senders int, from time.Time) {
	for i := 0; ; i++ {
		at := from.Add(time.Duration(i) * 2 * time.Second)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(at)):
		}
		now := time.Now().UnixNano()
		if i%2 == 0 {
			l.recentMu.Lock()
			id := ""
			if n := len(l.recent); n > 0 {
				id = l.recent[n/2]
			}
			l.recentMu.Unlock()
			if id == "" {
				continue
			}
			l.mu.Lock()
			l.deletes[id] = now
			l.mu.Unlock()
			mod.modSent.Store(now)
			_ = mod.write([]byte(fmt.Sprintf(`{"id":%d,"rpc":{"method":"chat.moderate","data":{"room":"load","action":"delete","id":%q}}}`, 900000+i, id)))
		} else {
			user := fmt.Sprintf("m%d", (i*37)%senders)
			l.mu.Lock()
			l.timeouts[user] = now
			l.mu.Unlock()
			l.timedOut.Store(user)
			mod.modSent.Store(now)
			_ = mod.write([]byte(fmt.Sprintf(`{"id":%d,"rpc":{"method":"chat.moderate","data":{"room":"load","action":"timeout","user":%q,"seconds":60}}}`, 900000+i, user)))
		}
	}
}

// loadConn is one member's connection.
type loadConn struct {
	ws      *websocket.Conn
	wmu     sync.Mutex
	isMod   bool
	modSent atomic.Int64 // when the moderator's last action was sent (ns)
}

func dialLoad(url, token, room string) (*loadConn, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	ws, _, err := d.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	c := &loadConn{ws: ws}
	hello := fmt.Sprintf(`{"id":1,"connect":{"token":%q}}`+"\n"+`{"id":2,"subscribe":{"channel":"chat:%s"}}`, token, room)
	return c, c.write([]byte(hello))
}

func (c *loadConn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

var (
	textMarker = []byte(`"text":"t=`)
	idMarker   = []byte(`"id":"`)
	userMarker = []byte(`"user":"`)
)

// drain reads what a member that is not measured receives once it is
// subscribed, straight from the socket, and throws it away: it only has to
// keep up, as a real viewer does (pings are off for the run).
func (c *loadConn) drain(l *load) {
	for {
		_, frame, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if bytes.Contains(frame, []byte(`{"id":2,"subscribe"`)) {
			l.subscribed.Add(1)
			break
		}
	}
	buf := make([]byte, 256<<10)
	conn := c.ws.UnderlyingConn()
	for {
		if _, err := conn.Read(buf); err != nil {
			return
		}
	}
}

// read handles everything the connection receives, without decoding JSON.
func (c *loadConn) read(l *load) {
	for {
		_, frame, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now().UnixNano()
		for _, line := range bytes.Split(frame, []byte{'\n'}) {
			c.line(l, line, now)
		}
	}
}

func (c *loadConn) line(l *load, line []byte, now int64) {
	switch {
	case len(line) == 2 && line[0] == '{' && line[1] == '}':
		_ = c.write([]byte("{}"))
	case bytes.HasPrefix(line, []byte(`{"id":2,"subscribe"`)):
		l.subscribed.Add(1)
	case bytes.HasPrefix(line, []byte(`{"id":`)):
		c.reply(l, line, now)
	case bytes.Contains(line, []byte(`"type":"message"`)):
		if i := bytes.Index(line, textMarker); i >= 0 {
			rest := line[i+len(textMarker):]
			end := bytes.IndexByte(rest, ' ')
			if ts, err := strconv.ParseInt(string(rest[:max(end, 0)]), 10, 64); err == nil {
				l.msgs.Add(1)
				l.msgLat.add(time.Duration(now - ts))
			}
		}
		if c.isMod { // the moderator keeps recent ids to delete
			if id := field(line, idMarker); id != "" {
				l.remember(id)
			}
		}
	case bytes.Contains(line, []byte(`"type":"delete"`)):
		l.mu.Lock()
		sent := l.deletes[field(line, idMarker)]
		l.mu.Unlock()
		if sent != 0 {
			l.modLat.add(time.Duration(now - sent))
		}
	case bytes.Contains(line, []byte(`"type":"timeout"`)):
		l.mu.Lock()
		sent := l.timeouts[field(line, userMarker)]
		l.mu.Unlock()
		if sent != 0 {
			l.modLat.add(time.Duration(now - sent))
		}
	}
}

// reply handles RPC replies: refusals of sends, the moderator's answers,
// and the probe of a timed-out sender.
func (c *loadConn) reply(l *load, line []byte, now int64) {
	id, _ := strconv.Atoi(string(line[6:max(bytes.IndexByte(line[6:], ',')+6, 6)]))
	isErr := bytes.Contains(line, []byte(`"error":{"code":`))
	switch {
	case id >= 900000:
		if sent := c.modSent.Load(); sent != 0 {
			l.rpcLat.add(time.Duration(now - sent))
		}
		if !isErr && (id-900000)%2 == 1 {
			// The timeout is acknowledged: its user must be refused now.
			if user, _ := l.timedOut.Load().(string); user != "" {
				l.probe(user)
			}
		}
	case id == 7:
		l.probes.Add(1)
		if !isErr {
			l.leaks.Add(1)
		}
	case id >= 1000 && isErr:
		l.refused.Add(1)
		i := bytes.Index(line, []byte(`"code":`))
		if code, err := strconv.Atoi(string(line[i+7 : i+11])); err == nil && code >= 1000 && code < 1008 {
			l.codes[code-1000].Add(1)
		}
	}
}

// probe has the timed-out user try to send on their connection.
func (l *load) probe(user string) {
	if c := l.byUser[user]; c != nil {
		_ = c.write([]byte(`{"id":7,"rpc":{"method":"chat.send","data":{"room":"load","text":"probe while timed out"}}}`))
	}
}

func (l *load) remember(id string) {
	l.recentMu.Lock()
	l.recent = append(l.recent, id)
	if len(l.recent) > 200 {
		l.recent = l.recent[100:]
	}
	l.recentMu.Unlock()
}

func field(line, marker []byte) string {
	i := bytes.Index(line, marker)
	if i < 0 {
		return ""
	}
	rest := line[i+len(marker):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return ""
	}
	return string(rest[:end])
}

// hist is a histogram of durations in 0.1 ms buckets up to 20 s.
type hist struct {
	buckets [200001]atomic.Int64
	n       atomic.Int64
}

func (h *hist) add(d time.Duration) {
	b := int64(d / (100 * time.Microsecond))
	if b < 0 {
		b = 0
	}
	if b >= int64(len(h.buckets)) {
		b = int64(len(h.buckets)) - 1
	}
	h.buckets[b].Add(1)
	h.n.Add(1)
}

func (h *hist) reset() {
	for i := range h.buckets {
		h.buckets[i].Store(0)
	}
	h.n.Store(0)
}

// summary gives p50, p90, p99, p99.9 and max (upper bucket bounds).
func (h *hist) summary() string {
	n := h.n.Load()
	if n == 0 {
		return "no samples"
	}
	qs := []float64{0.5, 0.9, 0.99, 0.999, 1}
	out := make([]string, 0, len(qs))
	var seen int64
	qi := 0
	for b := range h.buckets {
		seen += h.buckets[b].Load()
		for qi < len(qs) && float64(seen) >= qs[qi]*float64(n) {
			out = append(out, fmt.Sprintf("%.1f ms", float64(b+1)/10))
			qi++
		}
	}
	return fmt.Sprintf("n=%d p50 %s, p90 %s, p99 %s, p99.9 %s, max %s", n, out[0], out[1], out[2], out[3], out[4])
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv("CHATLOAD_" + name)); err == nil && v > 0 {
		return v
	}
	return def
}

func envDur(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv("CHATLOAD_" + name)); err == nil && v > 0 {
		return v
	}
	return def
}

// procCPU is the process's user + system CPU time in seconds.
func procCPU(t *testing.T, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	fields := bytes.Fields(data[bytes.LastIndexByte(data, ')')+2:])
	utime, _ := strconv.ParseFloat(string(fields[11]), 64)
	stime, _ := strconv.ParseFloat(string(fields[12]), 64)
	return (utime + stime) / 100 // USER_HZ
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return string(bytes.Join(bytes.Fields(data)[:3], []byte(" ")))
}

func procRSS(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		if bytes.HasPrefix(line, []byte("VmRSS:")) {
			return string(bytes.TrimSpace(line[6:]))
		}
	}
	return "?"
}
