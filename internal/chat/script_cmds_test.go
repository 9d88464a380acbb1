package chat

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/testkit/script"
	"github.com/liveroom-dev/liveroom/wire"
)

// The script commands:
//
//	at 5s | at +2s                          set the clock (from 12:00:00 UTC)
//	config key=value …                      change limits (see configure)
//	send ACTOR "text" [cid=] [reply=]
//	edit ACTOR ID "text"
//	delete ACTOR ID [reason=]
//	react ACTOR ID EMOJI [off]
//	report ACTOR message=ID|user=U reason=
//	mod ACTOR ACTION [user=] [id=] [seconds=] [reason=] [role=] [target=] [outcome=] [subjectroles=a,b]
//	settings ACTOR [slow=] [auto=on|off] [autosec=] [members=on|off] [links=]  (only those named change)
//	filter ACTOR [block:term] [hold:"a phrase"] [mask:term] …
//	tick
//	state ACTOR | queue | settings? | canread ACTOR | nexttick
//
// ACTOR is a user id ("ada"), with token roles in brackets
// ("mia[moderator]"), "guest:c1" for an anonymous connection, or "server"
// for the server API.
func (h *harness) command(t *testing.T, args []string) Command {
	if args[0] == "tick" {
		return Tick{}
	}
	if len(args) < 2 {
		t.Fatalf("%v: missing the actor", args)
	}
	a := h.actor(t, args[1])
	pos, kv := script.Positional(args[2:])
	need := func(n int) {
		if len(pos) < n {
			t.Fatalf("%v: needs %d arguments", args, n)
		}
	}
	switch args[0] {
	case "send":
		need(1)
		return Send{Actor: a, NewID: h.nextID("m"), Text: pos[0], CID: kv["cid"], ReplyTo: kv["reply"]}
	case "edit":
		need(2)
		return Edit{Actor: a, ID: pos[0], Text: pos[1]}
	case "delete":
		need(1)
		return Delete{Actor: a, ID: pos[0], Reason: kv["reason"]}
	case "react":
		need(2)
		return React{Actor: a, ID: pos[0], Emoji: pos[1], On: len(pos) < 3 || pos[2] != "off"}
	case "report":
		return Report{Actor: a, NewID: h.nextID("r"), ID: kv["message"], Reported: kv["user"], Reason: kv["reason"]}
	case "mod":
		need(1)
		secs, _ := strconv.Atoi(kv["seconds"])
		m := Moderate{Actor: a, Action: pos[0], ID: kv["id"], Subject: kv["user"], Seconds: secs, Reason: kv["reason"],
			Role: kv["role"], Target: kv["target"], Outcome: kv["outcome"]}
		if v := kv["subjectroles"]; v != "" {
			m.SubjectRoles = strings.Split(v, ",")
		}
		return m
	case "settings":
		var p wire.ChatSettingsPatch
		if v, ok := kv["slow"]; ok {
			n, _ := strconv.Atoi(v)
			p.SlowMode = &n
		}
		if v, ok := kv["auto"]; ok {
			on := v == "on"
			p.AutoSlow = &on
		}
		if v, ok := kv["autosec"]; ok {
			n, _ := strconv.Atoi(v)
			p.AutoSlowSeconds = &n
		}
		if v, ok := kv["members"]; ok {
			on := v == "on"
			p.MembersOnly = &on
		}
		if v, ok := kv["links"]; ok {
			p.Links = &v
		}
		return SetSettings{Actor: a, Patch: p}
	case "filter":
		var terms []wire.ChatTerm
		for _, p := range args[2:] {
			action, term, _ := strings.Cut(p, ":")
			if uq, err := strconv.Unquote(term); err == nil {
				term = uq
			}
			terms = append(terms, wire.ChatTerm{Term: term, Action: action})
		}
		return SetFilter{Actor: a, Terms: terms}
	}
	t.Fatalf("unknown script command %q", args[0])
	return nil
}

func (h *harness) actor(t *testing.T, spec string) Actor {
	switch {
	case spec == "server":
		return Actor{Server: true}
	case strings.HasPrefix(spec, "guest:"):
		return Actor{User: spec, Guest: true}
	}
	name, roles, found := strings.Cut(spec, "[")
	a := Actor{User: name}
	if found {
		a.Roles = strings.Split(strings.TrimSuffix(roles, "]"), ",")
	}
	return a
}

// configure changes limits: rate=3/10s maxchars=N edit=DUR repeat=DUR
// mentions=N mentionlimit=N/DUR react=N/DUR report=N/DUR reportgroups=N
// newuser=N keep=N
// autoslow=ON/OFF (messages/s) autowindow=DUR calm=DUR minon=DUR
// terms=action:term,… (global terms).
func (h *harness) configure(t *testing.T, line string) {
	_, kv := script.Positional(script.Args(t, line))
	rateOf := func(v string) (int, time.Duration) {
		n, d, _ := strings.Cut(v, "/")
		count, err := strconv.Atoi(n)
		dur, err2 := time.ParseDuration(d)
		if err != nil || err2 != nil {
			t.Fatalf("config: %q is not N/DURATION", v)
		}
		return count, dur
	}
	dur := func(v string) time.Duration {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("config: %v", err)
		}
		return d
	}
	atoi := func(v string) int {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("config: %v", err)
		}
		return n
	}
	for k, v := range kv {
		c := &h.cfg
		switch k {
		case "rate":
			c.RateMessages, c.RateWindow = rateOf(v)
		case "maxchars":
			c.MaxChars = atoi(v)
		case "edit":
			c.EditWindow = dur(v)
		case "repeat":
			c.RepeatWindow = dur(v)
		case "mentions":
			c.MaxMentions = atoi(v)
		case "mentionlimit":
			c.MentionLimit, c.MentionWindow = rateOf(v)
		case "react":
			c.ReactLimit, c.ReactWindow = rateOf(v)
		case "report":
			c.ReportLimit, c.ReportWindow = rateOf(v)
		case "reportgroups":
			c.MaxReportGroups = atoi(v)
		case "newuser":
			c.NewUserMessages = atoi(v)
		case "keep":
			c.KeepMessages = atoi(v)
		case "autoslow":
			on, off, _ := strings.Cut(v, "/")
			c.AutoSlowOnRate, _ = strconv.ParseFloat(on, 64)
			c.AutoSlowOffRate, _ = strconv.ParseFloat(off, 64)
		case "autowindow":
			c.AutoSlowWindow = dur(v)
		case "calm":
			c.AutoSlowCalmWindow = dur(v)
		case "minon":
			c.AutoSlowMinOn = dur(v)
		case "terms":
			c.Terms = nil
			for _, p := range strings.Split(v, ",") {
				action, term, _ := strings.Cut(p, ":")
				c.Terms = append(c.Terms, wire.ChatTerm{Term: term, Action: action})
			}
		default:
			t.Fatalf("config: unknown key %q", k)
		}
	}
}
