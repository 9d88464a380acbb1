package config

import (
	"fmt"
	"time"
)

// SupportConfig is the [support] table: support chat inside a session
// (see docs/support.md). Agents are users whose token gives them the
// "agent" role in scope "support:*".
type SupportConfig struct {
	// Whether support chat runs. It needs the namespaces support,
	// supporttyping, supportq and audit (built in).
	Enabled bool `toml:"enabled"`
	// Longest message, in characters after normalisation.
	MaxChars int `toml:"max_chars"`
	// Messages one author (the user or the agent) may send in one
	// conversation per rate_window: a sliding window.
	RateMessages int `toml:"rate_messages"`
	// The window of rate_messages.
	RateWindow Duration `toml:"rate_window"`
	// Most events (messages, claims, hand-backs) in one conversation; past
	// it only a resolution is accepted. Must be less than the history_size
	// of namespace "support", so a transcript is never trimmed.
	MaxEvents int `toml:"max_events"`
	// Recent chat messages of the room attached to a conversation when it
	// opens (0: none).
	RecentMessages int `toml:"recent_messages"`
	// New conversations one user may open per open_window (a sliding
	// window; 0: no limit). Opening again while one is open returns it
	// and is not counted.
	OpenRate int `toml:"open_rate"`
	// The window of open_rate.
	OpenWindow Duration `toml:"open_window"`
}

func defaultSupport() SupportConfig {
	return SupportConfig{
		Enabled:        true,
		MaxChars:       2000,
		RateMessages:   10,
		RateWindow:     Duration(10 * time.Second),
		MaxEvents:      500,
		RecentMessages: 10,
		OpenRate:       5,
		OpenWindow:     Duration(10 * time.Minute),
	}
}

// supportNamespaces are the namespaces of support chat: a conversation's
// private channel (its transcript, kept without a time limit), its typing
// indicators, and the agents' queue. Clients never publish to them.
func supportNamespaces() []NamespaceConfig {
	conv := NamespaceDefaults("support")
	conv.HistorySize = 1000
	conv.Recovery = true
	conv.Presence = true // an agent sees whether the user is connected
	conv.JoinLeave = true

	typing := NamespaceDefaults("supporttyping")

	queue := NamespaceDefaults("supportq")
	queue.HistorySize = 200
	queue.HistoryTTL = Duration(24 * time.Hour)
	queue.Recovery = true

	return []NamespaceConfig{conv, typing, queue}
}

func (c *Config) validateSupport(ck *checker) {
	s := c.Support
	if !s.Enabled {
		return
	}
	ck.atLeast("", "support.max_chars", int64(s.MaxChars), 1, s.MaxChars)
	ck.atLeast("", "support.rate_messages", int64(s.RateMessages), 1, s.RateMessages)
	ck.positive("support.rate_window", s.RateWindow)
	ck.atLeast("", "support.max_events", int64(s.MaxEvents), 10, s.MaxEvents)
	ck.atLeast("", "support.open_rate", int64(s.OpenRate), 0, s.OpenRate)
	if s.OpenRate > 0 {
		ck.positive("support.open_window", s.OpenWindow)
	}
	if s.RecentMessages < 0 || s.RecentMessages > 50 {
		ck.fail("", "support.recent_messages", s.RecentMessages, "must be 0 to 50")
	}
	for _, need := range []struct {
		name            string
		history, append bool
	}{{"support", true, false}, {"supporttyping", false, false}, {"supportq", true, false}, {"audit", true, true}} {
		ns, ok := c.Namespace(need.name)
		where := fmt.Sprintf("namespace %q", need.name)
		switch {
		case !ok:
			ck.errs = append(ck.errs, fmt.Errorf("support chat needs namespace %q (built in unless the config file replaces the namespaces); add it back or set support.enabled = false", need.name))
		case need.history && ns.HistorySize == 0:
			ck.fail(where, "namespaces.history_size", 0, "support chat keeps its events there: set history_size")
		case need.append && !ns.AppendOnly:
			ck.fail(where, "namespaces.append_only", false, "the support audit log must be append-only: set append_only = true")
		case ns.Publish != PublishNone:
			ck.fail(where, "namespaces.publish", ns.Publish, "support chat writes these channels itself, so every rule applies on one path: set publish = \"none\"")
		case need.name == "support" && ns.HistoryTTL != 0:
			ck.fail(where, "namespaces.history_ttl", ns.HistoryTTL, "transcripts are kept: set history_ttl = \"0s\"")
		case need.name == "support" && ns.HistorySize <= s.MaxEvents:
			ck.fail(where, "namespaces.history_size", ns.HistorySize, "must be more than support.max_events (%d), so no transcript is trimmed", s.MaxEvents)
		}
	}
}
