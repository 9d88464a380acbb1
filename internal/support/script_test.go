package support

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// Script tests: each file in testdata/ drives one conversation. A command
// line is followed by "----" and what it must produce: the stored events
// with their offsets, the reply (a summary when the command gives none),
// the effects, or the refusal. Lines starting with "at" set the clock,
// "config" changes limits, "#" are comments. Run with -update to
// re-record after a deliberate change, then read the diff.
//
//	open ACTOR room=ROOM ["first message"] [page=] [conn=] [rtt=] [recent=N]
//	claim ACTOR | release ACTOR | typing ACTOR
//	send ACTOR "text" [cid=]
//	resolve ACTOR [outcome=] [note=]
//	summary | canread ACTOR
//
// ACTOR is a user id ("ada"), an agent ("sam[agent]"), "guest:c1" for an
// anonymous connection, or "server" for the server API.
var update = flag.Bool("update", false, "re-record the expected output of testdata scripts")

var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in testdata/: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) { runScript(t, f) })
	}
}

func runScript(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{cfg: DefaultConfig(), now: t0}
	h.conv = New(&h.cfg, "c1")
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	var out strings.Builder
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			out.WriteString(lines[i] + "\n")
			continue
		case strings.HasPrefix(line, "at "):
			h.at(t, strings.TrimSpace(line[3:]))
			out.WriteString(lines[i] + "\n")
			continue
		case strings.HasPrefix(line, "config "):
			h.configure(t, line[7:])
			out.WriteString(lines[i] + "\n")
			continue
		}
		if i+1 >= len(lines) || strings.TrimSpace(lines[i+1]) != "----" {
			t.Fatalf("%s:%d: %q must be followed by a ---- line", file, i+1, line)
		}
		start := i + 1
		i += 2
		var want []string
		for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
			want = append(want, lines[i])
		}
		got := h.run(t, line)
		if got != strings.Join(want, "\n") && !*update {
			t.Errorf("%s:%d: %s\n--- got:\n%s\n--- want:\n%s", file, start, line, got, strings.Join(want, "\n"))
		}
		out.WriteString(line + "\n----\n")
		if got != "" {
			out.WriteString(got + "\n")
		}
		out.WriteString("\n")
	}
	h.checkReplay(t)
	if *update {
		if err := os.WriteFile(file, []byte(strings.TrimRight(out.String(), "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// harness drives one conversation and records every applied event.
type harness struct {
	cfg     Config
	conv    *Conversation
	now     time.Time
	applied []wire.SupportEvent
	msgs    int
}

func (h *harness) at(t *testing.T, spec string) {
	rel := strings.HasPrefix(spec, "+")
	d, err := time.ParseDuration(strings.TrimPrefix(spec, "+"))
	if err != nil {
		t.Fatalf("at %s: %v", spec, err)
	}
	if rel {
		h.now = h.now.Add(d)
	} else {
		h.now = t0.Add(d)
	}
}

func (h *harness) configure(t *testing.T, line string) {
	_, kv := positional(splitArgs(t, line))
	for k, v := range kv {
		n, err := strconv.Atoi(v)
		switch k {
		case "maxchars":
			h.cfg.MaxChars = n
		case "maxevents":
			h.cfg.MaxEvents = n
		case "rate":
			count, window, _ := strings.Cut(v, "/")
			h.cfg.RateMessages, err = strconv.Atoi(count)
			if err == nil {
				h.cfg.RateWindow, err = time.ParseDuration(window)
			}
		default:
			t.Fatalf("config: unknown key %q", k)
		}
		if err != nil {
			t.Fatalf("config %s=%s: %v", k, v, err)
		}
	}
}

// run decides one command, applies its events, and prints the outcome.
func (h *harness) run(t *testing.T, line string) string {
	args := splitArgs(t, line)
	switch args[0] {
	case "summary":
		return "summary " + jsonOf(t, h.conv.Summary())
	case "canread":
		if werr := h.conv.CanRead(actor(args[1])); werr != nil {
			return fmt.Sprintf("error %d: %s", werr.Code, werr.Message)
		}
		return "ok"
	}
	cmd := h.command(t, args)
	before := jsonOf(t, h.conv.S)
	d, err := h.conv.Decide(cmd, h.now)
	if jsonOf(t, h.conv.S) != before {
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
		off := h.conv.Offset() + 1
		h.conv.Apply(off, ev)
		h.applied = append(h.applied, ev)
		out = append(out, fmt.Sprintf("event %d %s", off, jsonOf(t, ev)))
	}
	reply := d.Reply
	if res, ok := reply.(wire.SupportSendResult); ok && !res.Duplicate {
		res.Offset = h.conv.Offset()
		reply = res
	}
	if reply == nil {
		reply = h.conv.Summary()
	}
	out = append(out, "reply "+jsonOf(t, reply))
	for _, e := range d.Effects {
		switch {
		case e.Typing != "":
			out = append(out, "typing "+e.Typing)
		case e.EndAccess != "":
			out = append(out, "end-access "+e.EndAccess)
		case e.Audit != nil:
			out = append(out, "audit "+jsonOf(t, e.Audit))
		}
	}
	return strings.Join(out, "\n")
}

func (h *harness) command(t *testing.T, args []string) Command {
	if len(args) < 2 {
		t.Fatalf("%v: missing the actor", args)
	}
	a := actor(args[1])
	pos, kv := positional(args[2:])
	first := ""
	if len(pos) > 0 {
		first = pos[0]
	}
	switch args[0] {
	case "open":
		o := Open{Actor: a, Room: kv["room"], Text: first}
		if kv["page"] != "" || kv["conn"] != "" || kv["rtt"] != "" {
			rtt, _ := strconv.Atoi(kv["rtt"])
			o.Context = &wire.SupportContext{Client: &wire.SupportClientContext{Page: kv["page"], Connection: kv["conn"], RTTms: rtt}}
		}
		if n, err := strconv.Atoi(kv["recent"]); err == nil {
			if o.Context == nil {
				o.Context = &wire.SupportContext{}
			}
			for i := 1; i <= n; i++ {
				o.Context.Recent = append(o.Context.Recent, wire.SupportContextMessage{ID: fmt.Sprintf("m%d", i), User: "bob", Text: fmt.Sprintf("room message %d", i), At: int64(i)})
			}
		}
		return o
	case "claim":
		return Claim{a}
	case "release":
		return Release{a}
	case "typing":
		return Typing{a}
	case "send":
		h.msgs++
		return Send{Actor: a, NewID: fmt.Sprintf("s%d", h.msgs), Text: first, CID: kv["cid"]}
	case "resolve":
		return Resolve{Actor: a, Outcome: kv["outcome"], Note: kv["note"]}
	}
	t.Fatalf("unknown script command %q", args[0])
	return nil
}

func actor(spec string) Actor {
	switch {
	case spec == "server":
		return Actor{Server: true}
	case strings.HasPrefix(spec, "guest:"):
		return Actor{Guest: true}
	}
	name, roles, found := strings.Cut(spec, "[")
	return Actor{User: name, Agent: found && strings.Contains(roles, "agent")}
}

// checkReplay folds every applied event into a fresh conversation, and
// restores a JSON round trip of the live state (a snapshot); both must
// equal the live state: the state is a pure function of the events.
func (h *harness) checkReplay(t *testing.T) {
	fresh := New(&h.cfg, "c1")
	for i, ev := range h.applied {
		fresh.Apply(uint64(i+1), ev)
	}
	var snap State
	if err := json.Unmarshal([]byte(jsonOf(t, h.conv.S)), &snap); err != nil {
		t.Fatal(err)
	}
	restored := New(&h.cfg, "c1")
	restored.Restore(snap)
	for name, c := range map[string]*Conversation{"replay": fresh, "snapshot": restored} {
		if !reflect.DeepEqual(jsonOf(t, c.S), jsonOf(t, h.conv.S)) {
			t.Errorf("%s state differs from the live state:\n%s\nlive:\n%s", name, jsonOf(t, c.S), jsonOf(t, h.conv.S))
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

// positional splits arguments into plain ones and key=value ones.
func positional(args []string) ([]string, map[string]string) {
	var pos []string
	kv := map[string]string{}
	for _, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok && k != "" && !strings.ContainsAny(k, " \"") {
			kv[k] = v
			continue
		}
		pos = append(pos, a)
	}
	return pos, kv
}

// splitArgs splits a line on spaces; "double quoted" parts (Go syntax,
// also as the value of key="…") stay whole.
func splitArgs(t *testing.T, line string) []string {
	var out []string
	var cur strings.Builder
	inArg := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ':
			if inArg {
				out = append(out, cur.String())
				cur.Reset()
				inArg = false
			}
		case c == '"':
			end := i + 1
			for end < len(line) && line[end] != '"' {
				if line[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(line) {
				t.Fatalf("unterminated quote in %q", line)
			}
			uq, err := strconv.Unquote(line[i : end+1])
			if err != nil {
				t.Fatalf("bad quote in %q: %v", line, err)
			}
			cur.WriteString(uq)
			inArg = true
			i = end
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if inArg {
		out = append(out, cur.String())
	}
	return out
}
