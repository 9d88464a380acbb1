package wire

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxUserIDBytes bounds a user id (a token's "sub") that a request names.
const MaxUserIDBytes = 255

// ValidateUserID checks a user id that a request names (the server API's
// "as", the user a moderator acts on or reports): 1–255 bytes of valid
// UTF-8 without control characters (Unicode category Cc) or format
// characters (Cf: zero-width characters, bidirectional controls such as
// U+202E), which would make the id print as another one in events,
// notices and the audit log.
func ValidateUserID(user string) error {
	switch {
	case user == "":
		return fmt.Errorf("user id is empty")
	case len(user) > MaxUserIDBytes:
		return fmt.Errorf("user id is %d bytes; the limit is %d", len(user), MaxUserIDBytes)
	case !utf8.ValidString(user):
		return fmt.Errorf("user id %q is not valid UTF-8", shortID(user))
	}
	for i, r := range user {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("user id %q has a control or format character (U+%04X) at byte %d; user ids may not hold one", shortID(user), r, i)
		}
	}
	return nil
}

// shortID is a user id cut for an error message (at most 24 bytes, on a
// character boundary, "…" marking a cut), so that what is wrong still
// fits in a close reason (123 bytes).
func shortID(user string) string {
	const most = 24
	if len(user) <= most {
		return user
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(user[cut]) {
		cut--
	}
	return user[:cut] + "…"
}
