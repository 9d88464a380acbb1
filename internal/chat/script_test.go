package chat

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// Script tests: each file in testdata/ is a list of commands, each followed
// by "----" and what it must produce (events with their stream and
// offset, the reply, the effects, or the refusal). Run with -update to
// re-record the expected output after a deliberate change, then read the
// diff.
var update = flag.Bool("update", false, "re-record the expected output of testdata scripts")

var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in testdata/: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) { runScript(t, file) })
	}
}

// block is one command and its expected output.
type block struct {
	line, cmd, want string
}

func parseScript(t *testing.T, data string) (preamble []string, blocks []block) {
	lines := strings.Split(data, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		trimmed := strings.TrimSpace(l)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, "at ") || strings.HasPrefix(trimmed, "config ") {
			preamble = append(preamble, l)
			continue
		}
		b := block{line: fmt.Sprint(i + 1), cmd: trimmed}
		if i+1 >= len(lines) || strings.TrimSpace(lines[i+1]) != "----" {
			t.Fatalf("line %d: %q must be followed by a ---- line", i+1, trimmed)
		}
		i += 2
		var out []string
		for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
			out = append(out, lines[i])
		}
		b.want = strings.Join(out, "\n")
		blocks = append(blocks, b)
		preamble = append(preamble, "\x00"+fmt.Sprint(len(blocks)-1))
	}
	return preamble, blocks
}

func runScript(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	items, blocks := parseScript(t, string(raw))
	h := newHarness()
	var out bytes.Buffer
	failed := false
	for _, it := range items {
		if !strings.HasPrefix(it, "\x00") {
			out.WriteString(it + "\n")
			trimmed := strings.TrimSpace(it)
			switch {
			case strings.HasPrefix(trimmed, "at "):
				h.at(t, strings.TrimSpace(trimmed[3:]))
			case strings.HasPrefix(trimmed, "config "):
				h.configure(t, trimmed[7:])
			}
			continue
		}
		var idx int
		fmt.Sscan(it[1:], &idx)
		b := blocks[idx]
		got := h.run(t, b.cmd)
		if got != b.want && !*update {
			t.Errorf("%s:%s: %s\n--- got:\n%s\n--- want:\n%s", file, b.line, b.cmd, got, b.want)
			failed = true
		}
		out.WriteString(b.cmd + "\n----\n")
		if got != "" {
			out.WriteString(got + "\n")
		}
		out.WriteString("\n")
	}
	h.checkReplay(t)
	if *update {
		text := strings.TrimRight(out.String(), "\n") + "\n"
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if failed {
		t.Log("run with -update to re-record, then review the diff")
	}
}

// harness drives one room and records every applied event.
type harness struct {
	cfg     Config
	room    *Room
	now     time.Time
	offsets [2]uint64
	applied []applied
	ids     map[string]int
}

type applied struct {
	s      Stream
	offset uint64
	ev     wire.ChatEvent
}

func newHarness() *harness {
	h := &harness{cfg: DefaultConfig(), now: t0, ids: map[string]int{}}
	h.room = NewRoom(&h.cfg, "lobby")
	return h
}

func (h *harness) at(t *testing.T, spec string) {
	if strings.HasPrefix(spec, "+") {
		d, err := time.ParseDuration(spec[1:])
		if err != nil {
			t.Fatalf("at %s: %v", spec, err)
		}
		h.now = h.now.Add(d)
		return
	}
	d, err := time.ParseDuration(spec)
	if err != nil {
		t.Fatalf("at %s: %v", spec, err)
	}
	h.now = t0.Add(d)
}

func (h *harness) nextID(prefix string) string {
	h.ids[prefix]++
	return fmt.Sprintf("%s%d", prefix, h.ids[prefix])
}

// run decides one command, applies its events, and prints the outcome.
func (h *harness) run(t *testing.T, line string) string {
	args := splitArgs(t, line)
	if args[0] == "state" || args[0] == "queue" || args[0] == "settings?" || args[0] == "canread" || args[0] == "nexttick" {
		return h.view(t, args)
	}
	cmd := h.command(t, args)
	before := jsonOf(t, h.room.Pub) + jsonOf(t, h.room.Priv)
	d, err := h.room.Decide(cmd, h.now)
	if after := jsonOf(t, h.room.Pub) + jsonOf(t, h.room.Priv); after != before {
		t.Fatalf("%s: Decide changed the state; only Apply may", line)
	}
	if err != nil {
		we, ok := err.(*wire.Error)
		if !ok {
			t.Fatalf("%s: error %T %v is not a *wire.Error", line, err, err)
		}
		temp := ""
		if we.Temporary {
			temp = " (temporary)"
		}
		return fmt.Sprintf("error %d%s: %s", we.Code, temp, we.Message)
	}
	var out []string
	for _, ev := range d.Events {
		h.offsets[d.Stream]++
		off := h.offsets[d.Stream]
		h.room.Apply(d.Stream, off, ev)
		h.applied = append(h.applied, applied{d.Stream, off, ev})
		out = append(out, fmt.Sprintf("%s %d %s", d.Stream, off, jsonOf(t, ev)))
	}
	if d.Reply != nil {
		out = append(out, "reply "+jsonOf(t, d.Reply))
	}
	for _, e := range d.Effects {
		switch {
		case e.Notice != nil:
			out = append(out, fmt.Sprintf("notice %s %s", e.To, jsonOf(t, e.Notice)))
		case e.EndAccess != "":
			out = append(out, "end-access "+e.EndAccess)
		case e.Audit != nil:
			out = append(out, "audit "+jsonOf(t, e.Audit))
		}
	}
	return strings.Join(out, "\n")
}

func (h *harness) view(t *testing.T, args []string) string {
	switch args[0] {
	case "state":
		return jsonOf(t, h.room.StateFor(h.actor(t, args[1]), h.now))
	case "queue":
		return jsonOf(t, h.room.Queue(h.now))
	case "settings?":
		return jsonOf(t, h.room.Settings())
	case "nexttick":
		at := h.room.NextTick(h.now)
		if at.IsZero() {
			return "none"
		}
		return at.Sub(t0).String()
	}
	if werr := h.room.CanRead(h.actor(t, args[1])); werr != nil {
		return fmt.Sprintf("error %d: %s", werr.Code, werr.Message)
	}
	return "ok"
}

// checkReplay folds every applied event into a fresh room, and a JSON
// round trip of the live state (a snapshot), and requires all three to
// be the same: the state is a pure function of the events.
func (h *harness) checkReplay(t *testing.T) {
	fresh := NewRoom(&h.cfg, "lobby")
	for _, a := range h.applied {
		fresh.Apply(a.s, a.offset, a.ev)
	}
	var pub PublicState
	var priv PrivateState
	if err := json.Unmarshal([]byte(jsonOf(t, h.room.Pub)), &pub); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(jsonOf(t, h.room.Priv)), &priv); err != nil {
		t.Fatal(err)
	}
	restored := NewRoom(&h.cfg, "lobby")
	restored.Restore(&pub, &priv)
	for name, r := range map[string]*Room{"replay": fresh, "snapshot": restored} {
		if !reflect.DeepEqual(jsonOf(t, r.Pub), jsonOf(t, h.room.Pub)) || !reflect.DeepEqual(jsonOf(t, r.Priv), jsonOf(t, h.room.Priv)) {
			t.Errorf("%s state differs from the live state:\n%s\n%s\nlive:\n%s\n%s", name,
				jsonOf(t, r.Pub), jsonOf(t, r.Priv), jsonOf(t, h.room.Pub), jsonOf(t, h.room.Priv))
		}
	}
}

func jsonOf(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
