package support

import (
	"encoding/json"
	"flag"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/testkit/script"
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
	script.RunDir(t, *update, func(t *testing.T) script.Machine {
		h := &harness{cfg: DefaultConfig(), now: t0}
		h.conv = New(&h.cfg, "c1")
		return script.Machine{
			Run: h.run,
			Directives: map[string]func(*testing.T, string){
				"at":     func(t *testing.T, spec string) { h.now = script.At(t, h.now, t0, spec) },
				"config": h.configure,
			},
			Finally: h.checkReplay,
		}
	})
}

// harness drives one conversation and records every applied event.
type harness struct {
	cfg     Config
	conv    *Conversation
	now     time.Time
	applied []wire.SupportEvent
	msgs    int
}

func (h *harness) configure(t *testing.T, line string) {
	_, kv := script.Positional(script.Args(t, line))
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
	args := script.Args(t, line)
	switch args[0] {
	case "summary":
		return "summary " + script.JSON(t, h.conv.Summary())
	case "canread":
		if werr := h.conv.CanRead(actor(args[1])); werr != nil {
			return fmt.Sprintf("error %d: %s", werr.Code, werr.Message)
		}
		return "ok"
	}
	cmd := h.command(t, args)
	before := script.JSON(t, h.conv.S)
	d, err := h.conv.Decide(cmd, h.now)
	if script.JSON(t, h.conv.S) != before {
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
		out = append(out, fmt.Sprintf("event %d %s", off, script.JSON(t, ev)))
	}
	reply := d.Reply
	if res, ok := reply.(wire.SupportSendResult); ok && !res.Duplicate {
		res.Offset = h.conv.Offset()
		reply = res
	}
	if reply == nil {
		reply = h.conv.Summary()
	}
	out = append(out, "reply "+script.JSON(t, reply))
	for _, e := range d.Effects {
		switch {
		case e.Typing != "":
			out = append(out, "typing "+e.Typing)
		case e.EndAccess != "":
			out = append(out, "end-access "+e.EndAccess)
		case e.Audit != nil:
			out = append(out, "audit "+script.JSON(t, e.Audit))
		}
	}
	return strings.Join(out, "\n")
}

func (h *harness) command(t *testing.T, args []string) Command {
	if len(args) < 2 {
		t.Fatalf("%v: missing the actor", args)
	}
	a := actor(args[1])
	pos, kv := script.Positional(args[2:])
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
	if err := json.Unmarshal([]byte(script.JSON(t, h.conv.S)), &snap); err != nil {
		t.Fatal(err)
	}
	restored := New(&h.cfg, "c1")
	restored.Restore(snap)
	for name, c := range map[string]*Conversation{"replay": fresh, "snapshot": restored} {
		if !reflect.DeepEqual(script.JSON(t, c.S), script.JSON(t, h.conv.S)) {
			t.Errorf("%s state differs from the live state:\n%s\nlive:\n%s", name, script.JSON(t, c.S), script.JSON(t, h.conv.S))
		}
	}
}
