package config

import (
	"fmt"
	"strings"
	"time"
)

// ChatConfig is the [chat] table: limits the same in every room. Rooms
// change their own settings (slow mode, members-only, links, their own
// terms) through moderators.
type ChatConfig struct {
	// Whether the chat runs. It needs the namespaces chat, chatmod, typing
	// and audit (built in), and personal for notices.
	Enabled bool `toml:"enabled"`
	// Longest message, in characters after normalisation.
	MaxChars int `toml:"max_chars"`
	// Messages (and edits) one user may send in one room per rate_window:
	// a sliding window, never more than this many in any rate_window.
	RateMessages int `toml:"rate_messages"`
	// The window of rate_messages.
	RateWindow Duration `toml:"rate_window"`
	// How long after sending a message its author may edit it.
	EditWindow Duration `toml:"edit_window"`
	// The same text from the same user is refused again within this time.
	RepeatWindow Duration `toml:"repeat_window"`
	// Most @mentions in one message.
	MaxMentions int `toml:"max_mentions"`
	// Published messages after which a user is no longer "new" in a room
	// (rooms with links = "members" refuse links from new users).
	NewUserMessages int `toml:"new_user_messages"`
	// Automatic slow mode switches on when a room's rate over 10 s reaches
	// this many messages per second.
	AutoSlowOnRate int `toml:"auto_slow_on_rate"`
	// ... and off when its rate over 30 s falls below this (and it has
	// been on for at least a minute). Less than auto_slow_on_rate.
	AutoSlowOffRate int `toml:"auto_slow_off_rate"`
	// Seconds between a user's messages while automatic slow mode is on,
	// for new rooms.
	AutoSlowSeconds int `toml:"auto_slow_seconds"`
	// Link policy of new rooms: "allow", "members" (not anonymous or new
	// users) or "mods" (only moderators).
	Links string `toml:"links"`
	// Global term filter, applied in every room: words or phrases matched
	// case-insensitively on word boundaries. A message with a blocked term
	// is refused.
	BlockedTerms []string `toml:"blocked_terms"`
	// Global terms that send a message to the room's review queue.
	HeldTerms []string `toml:"held_terms"`
	// Global terms replaced by asterisks.
	MaskedTerms []string `toml:"masked_terms"`
}

func defaultChat() ChatConfig {
	return ChatConfig{
		Enabled:         true,
		MaxChars:        500,
		RateMessages:    20,
		RateWindow:      Duration(30 * time.Second),
		EditWindow:      Duration(10 * time.Minute),
		RepeatWindow:    Duration(30 * time.Second),
		MaxMentions:     5,
		NewUserMessages: 3,
		AutoSlowOnRate:  5,
		AutoSlowOffRate: 2,
		AutoSlowSeconds: 5,
		Links:           "members",
	}
}

// chatNeeds says what the chat needs of each of its namespaces.
var chatNeeds = []struct {
	name    string
	history bool
	append  bool
}{
	{"chat", true, false},
	{"chatmod", true, false},
	{"typing", false, false},
	{"audit", true, true},
	{"personal", true, false},
}

func (c *Config) validateChat(ck *checker) {
	ch := c.Chat
	if !ch.Enabled {
		return
	}
	ck.atLeast("", "chat.max_chars", int64(ch.MaxChars), 1, ch.MaxChars)
	ck.atLeast("", "chat.rate_messages", int64(ch.RateMessages), 1, ch.RateMessages)
	ck.positive("chat.rate_window", ch.RateWindow)
	ck.positive("chat.edit_window", ch.EditWindow)
	ck.atLeast("", "chat.repeat_window", int64(ch.RepeatWindow), 0, ch.RepeatWindow)
	ck.atLeast("", "chat.max_mentions", int64(ch.MaxMentions), 0, ch.MaxMentions)
	ck.atLeast("", "chat.new_user_messages", int64(ch.NewUserMessages), 0, ch.NewUserMessages)
	ck.atLeast("", "chat.auto_slow_on_rate", int64(ch.AutoSlowOnRate), 1, ch.AutoSlowOnRate)
	if ch.AutoSlowOffRate < 0 || ch.AutoSlowOffRate >= ch.AutoSlowOnRate {
		ck.fail("", "chat.auto_slow_off_rate", ch.AutoSlowOffRate, "must be 0 or more and less than chat.auto_slow_on_rate (%d), so the switch does not flap", ch.AutoSlowOnRate)
	}
	if ch.AutoSlowSeconds < 0 || ch.AutoSlowSeconds > 120 {
		ck.fail("", "chat.auto_slow_seconds", ch.AutoSlowSeconds, "must be 0 (automatic slow mode off in new rooms) to 120")
	}
	ck.oneOf("", "chat.links", ch.Links, []string{"allow", "members", "mods"})
	for key, list := range map[string][]string{"chat.blocked_terms": ch.BlockedTerms, "chat.held_terms": ch.HeldTerms, "chat.masked_terms": ch.MaskedTerms} {
		for _, term := range list {
			if strings.TrimSpace(term) == "" || len([]rune(term)) > 64 {
				ck.fail("", key, term, "terms are 1 to 64 characters")
			}
		}
	}
	for _, need := range chatNeeds {
		ns, ok := c.Namespace(need.name)
		where := fmt.Sprintf("namespace %q", need.name)
		switch {
		case !ok:
			ck.errs = append(ck.errs, fmt.Errorf("the chat needs namespace %q (built in unless the config file replaces the namespaces); add it back or set chat.enabled = false", need.name))
		case need.history && ns.HistorySize == 0:
			ck.fail(where, "namespaces.history_size", 0, "the chat keeps its events there: set history_size")
		case need.append && !ns.AppendOnly:
			ck.fail(where, "namespaces.append_only", false, "the chat's audit log must be append-only: set append_only = true")
		case need.name != "personal" && ns.Publish != PublishNone:
			ck.fail(where, "namespaces.publish", ns.Publish, "the chat writes these channels itself, so every rule applies on one path: set publish = \"none\"")
		}
	}
}
