package chat

import (
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// Config holds the limits that are the same in every room. Room settings
// (slow mode, members-only, links, the room's terms) are events.
type Config struct {
	// MaxChars is the longest message, in characters after normalisation.
	MaxChars int
	// RateMessages per RateWindow is each user's limit in one room: a
	// sliding window, so never more than RateMessages in any RateWindow.
	// Edits count too.
	RateMessages int
	RateWindow   time.Duration
	// EditWindow is how long after sending a message its author may edit it.
	EditWindow time.Duration
	// DedupeWindow is how long a client message id (cid) answers retries.
	DedupeWindow time.Duration
	// RepeatWindow refuses the same text from the same user again within it.
	RepeatWindow time.Duration
	// MaxMentions per message; MentionLimit per MentionWindow per user.
	MaxMentions   int
	MentionLimit  int
	MentionWindow time.Duration
	// ReactLimit reactions per ReactWindow per user (they are history too).
	ReactLimit  int
	ReactWindow time.Duration
	// ReportLimit reports per ReportWindow per user, so that one user
	// cannot fill the moderation queue.
	ReportLimit  int
	ReportWindow time.Duration
	// NewUserMessages: a user with fewer published messages in the room
	// counts as new (the "members" link policy refuses their links).
	NewUserMessages int
	// MaxTimeout bounds one timeout.
	MaxTimeout time.Duration
	// KeepMessages recent messages are remembered for replies, edits,
	// deletes, reactions and reports; older ones are history only.
	KeepMessages int
	// MaxReason bounds report reasons and moderation notes, in characters.
	MaxReason int
	// AutoSlow: slow mode switches on when the room's rate over the last
	// AutoSlowWindow reaches AutoSlowOnRate messages/s, and off when the
	// rate over AutoSlowCalmWindow falls below AutoSlowOffRate, but not
	// sooner than AutoSlowMinOn after it switched on (hysteresis).
	AutoSlowWindow     time.Duration
	AutoSlowCalmWindow time.Duration
	AutoSlowOnRate     float64
	AutoSlowOffRate    float64
	AutoSlowMinOn      time.Duration
	// Terms is the global term filter, applied in every room.
	Terms []wire.ChatTerm
	// Defaults are a new room's settings.
	Defaults wire.ChatSettings
	// Bounds of what a room remembers (oldest dropped first; report groups:
	// the one with the fewest reporters, then the oldest, and its reporters
	// are told).
	MaxHeld, MaxReportGroups, MaxKnownUsers int
	// TypingTTL is how long a typing indicator shows.
	TypingTTL time.Duration
}

// DefaultConfig returns the limits the large platforms use: 20 messages
// per 30 s per user, 500 characters, 10-minute edits.
func DefaultConfig() Config {
	return Config{
		MaxChars:           500,
		RateMessages:       20,
		RateWindow:         30 * time.Second,
		EditWindow:         10 * time.Minute,
		DedupeWindow:       10 * time.Minute,
		RepeatWindow:       30 * time.Second,
		MaxMentions:        5,
		MentionLimit:       15,
		MentionWindow:      time.Minute,
		ReactLimit:         20,
		ReactWindow:        10 * time.Second,
		ReportLimit:        5,
		ReportWindow:       time.Minute,
		NewUserMessages:    3,
		MaxTimeout:         14 * 24 * time.Hour,
		KeepMessages:       300,
		MaxReason:          200,
		AutoSlowWindow:     10 * time.Second,
		AutoSlowCalmWindow: 30 * time.Second,
		AutoSlowOnRate:     5,
		AutoSlowOffRate:    2,
		AutoSlowMinOn:      60 * time.Second,
		Defaults:           wire.ChatSettings{AutoSlow: true, AutoSlowSeconds: 5, Links: wire.LinksMembers},
		MaxHeld:            500,
		MaxReportGroups:    500,
		MaxKnownUsers:      20000,
		TypingTTL:          6 * time.Second,
	}
}

// Limits returns the fixed limits as clients see them.
func (c *Config) Limits() wire.ChatLimits {
	return wire.ChatLimits{
		MaxChars:      c.MaxChars,
		RateMessages:  c.RateMessages,
		RateWindowS:   int(c.RateWindow / time.Second),
		EditWindowS:   int(c.EditWindow / time.Second),
		MaxMentions:   c.MaxMentions,
		TypingTTLms:   int(c.TypingTTL / time.Millisecond),
		MaxTimeoutS:   int(c.MaxTimeout / time.Second),
		ReportReasonN: c.MaxReason,
	}
}
