package chat

import (
	"encoding/json"
	"flag"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/testkit/script"
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
	script.RunDir(t, *update, func(t *testing.T) script.Machine {
		h := newHarness()
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

func (h *harness) nextID(prefix string) string {
	h.ids[prefix]++
	return fmt.Sprintf("%s%d", prefix, h.ids[prefix])
}

// run decides one command, applies its events, and prints the outcome.
func (h *harness) run(t *testing.T, line string) string {
	args := script.Args(t, line)
	if args[0] == "state" || args[0] == "queue" || args[0] == "settings?" || args[0] == "canread" || args[0] == "nexttick" {
		return h.view(t, args)
	}
	cmd := h.command(t, args)
	before := script.JSON(t, h.room.Pub) + script.JSON(t, h.room.Priv)
	d, err := h.room.Decide(cmd, h.now)
	if after := script.JSON(t, h.room.Pub) + script.JSON(t, h.room.Priv); after != before {
		t.Fatalf("%s: Decide changed the state; only Apply may", line)
	}
	if err != nil {
		we, ok := err.(*wire.Error)
		if !ok {
			t.Fatalf("%s: error %T %v is not a *wire.Error", line, err, err)
		}
		temp := ""
		if we.Temporary {
			// The wait a program reads (the API's Retry-After, in seconds
			// rounded up): the message's "wait N s" for people.
			temp = fmt.Sprintf(" (temporary; retry after %d s)", (we.RetryAfter+time.Second-1)/time.Second)
		}
		return fmt.Sprintf("error %d%s: %s", we.Code, temp, we.Message)
	}
	var out []string
	for _, ev := range d.Events {
		h.offsets[d.Stream]++
		off := h.offsets[d.Stream]
		h.room.Apply(d.Stream, off, ev)
		h.applied = append(h.applied, applied{d.Stream, off, ev})
		out = append(out, fmt.Sprintf("%s %d %s", d.Stream, off, script.JSON(t, ev)))
	}
	if d.Reply != nil {
		out = append(out, "reply "+script.JSON(t, d.Reply))
	}
	for _, e := range d.Effects {
		switch {
		case e.Notice != nil:
			out = append(out, fmt.Sprintf("notice %s %s", e.To, script.JSON(t, e.Notice)))
		case e.EndAccess != "":
			out = append(out, "end-access "+e.EndAccess)
		case e.Recheck != "":
			out = append(out, "recheck "+e.Recheck)
		case e.Audit != nil:
			out = append(out, "audit "+script.JSON(t, e.Audit))
		}
	}
	return strings.Join(out, "\n")
}

func (h *harness) view(t *testing.T, args []string) string {
	switch args[0] {
	case "state":
		return script.JSON(t, h.room.StateFor(h.actor(t, args[1]), h.now))
	case "queue":
		return script.JSON(t, h.room.Queue(h.now))
	case "settings?":
		return script.JSON(t, h.room.Settings())
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
	if err := json.Unmarshal([]byte(script.JSON(t, h.room.Pub)), &pub); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(script.JSON(t, h.room.Priv)), &priv); err != nil {
		t.Fatal(err)
	}
	restored := NewRoom(&h.cfg, "lobby")
	restored.Restore(&pub, &priv)
	for name, r := range map[string]*Room{"replay": fresh, "snapshot": restored} {
		if !reflect.DeepEqual(script.JSON(t, r.Pub), script.JSON(t, h.room.Pub)) || !reflect.DeepEqual(script.JSON(t, r.Priv), script.JSON(t, h.room.Priv)) {
			t.Errorf("%s state differs from the live state:\n%s\n%s\nlive:\n%s\n%s", name,
				script.JSON(t, r.Pub), script.JSON(t, r.Priv), script.JSON(t, h.room.Pub), script.JSON(t, h.room.Priv))
		}
	}
}
