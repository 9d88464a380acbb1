package support

import "time"

// Config holds the limits of every conversation.
type Config struct {
	// MaxChars is the longest message, in characters after normalisation.
	MaxChars int
	// RateMessages per RateWindow is each author's limit in one
	// conversation (a sliding window).
	RateMessages int
	RateWindow   time.Duration
	// MaxEvents bounds a conversation's events (messages, claims,
	// releases); past it only a resolution is accepted. It must stay under
	// the support namespace's history size, so no transcript is trimmed.
	MaxEvents int
	// MaxNote bounds a resolution note, in characters.
	MaxNote int
	// KeepSent client message ids (per conversation) answer retries.
	KeepSent int
	// TypingTTL is how long a typing indicator shows.
	TypingTTL time.Duration
	// MaxRecent bounds the room messages attached to a conversation, and
	// MaxRecentChars each one's text.
	MaxRecent, MaxRecentChars int
	// OpenRate new conversations per OpenWindow (a sliding window) is
	// each user's limit; 0: none.
	OpenRate   int
	OpenWindow time.Duration
}

// DefaultConfig returns the built-in limits.
func DefaultConfig() Config {
	return Config{
		MaxChars:       2000,
		RateMessages:   10,
		RateWindow:     10 * time.Second,
		MaxEvents:      500,
		MaxNote:        500,
		KeepSent:       20,
		TypingTTL:      6 * time.Second,
		MaxRecent:      10,
		MaxRecentChars: 300,
		OpenRate:       5,
		OpenWindow:     10 * time.Minute,
	}
}
