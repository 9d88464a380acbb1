package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// DecodeStrict reads a request body into v the way liveroom reads every
// JSON body (the server API, chat and support RPCs, accounts): an empty
// body reads as {}; a key given twice or not in lower case is refused
// (BodyKeyProblem, skipping the paths isPayload names); unknown fields are
// refused so a typo fails loudly; one JSON value and nothing after it;
// the body must be valid UTF-8 (RFC 8259 §8.1), never repaired; it may
// nest at most MaxBodyDepth levels. It
// returns "" when v was filled, else what is wrong in the API's terms (a
// field and the JSON it needs, never the decoder's Go types), for a
// 400 / 107 message.
func DecodeStrict(body []byte, v any, isPayload func(path string) bool) string {
	if len(trimJSONSpace(body)) == 0 {
		body = []byte("{}")
	}
	if at := FirstInvalidUTF8(body); at >= 0 {
		// encoding/json would turn the bytes into U+FFFD: a channel or a
		// user name would silently become another one.
		return fmt.Sprintf("not valid UTF-8 at byte %d: JSON text must be UTF-8", at)
	}
	if at := LoneSurrogate(body); at >= 0 {
		return fmt.Sprintf("the \\u escape at byte %d is half of a UTF-16 surrogate pair: JSON text must encode whole characters", at)
	}
	if JSONDepth(body, MaxBodyDepth) > MaxBodyDepth {
		return fmt.Sprintf("the body nests objects and arrays more than %d levels deep; send a flatter document", MaxBodyDepth)
	}
	if problem := BodyKeyProblem(body, isPayload); problem != "" {
		return problem
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeDecodeError(err, v)
	}
	// Anything but white space after the value, including a stray ']' or
	// '}' (which Decoder.More does not count as more input).
	if rest := trimJSONSpace(body[dec.InputOffset():]); len(rest) > 0 {
		return fmt.Sprintf("more after the JSON value at byte %d; send one JSON object", int(dec.InputOffset())+bytes.Index(body[dec.InputOffset():], rest[:1]))
	}
	return ""
}

// trimJSONSpace trims the white space JSON allows between tokens (RFC 8259
// §2: space, tab, line feed, carriage return) and nothing else: form feeds
// or non-breaking spaces are not white space to JSON.
func trimJSONSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\n\r")
}

// LoneSurrogate returns the offset of the first \u escape in a JSON
// string of data that encodes half of a UTF-16 surrogate pair with no
// other half (RFC 8259 §8.2 calls such strings unpredictable), or -1.
// encoding/json would turn it into U+FFFD: a channel or a user name would
// silently become another one. data must be valid JSON text to be judged.
func LoneSurrogate(data []byte) int {
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if !inString {
			inString = c == '"'
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			if i+1 < len(data) && data[i+1] == 'u' {
				u, ok := hex4(data, i+2)
				switch {
				case !ok:
				case u >= 0xD800 && u <= 0xDBFF:
					if lo, ok := hex4(data, i+8); !ok || i+7 >= len(data) || data[i+6] != '\\' || data[i+7] != 'u' || lo < 0xDC00 || lo > 0xDFFF {
						return i
					}
					i += 11 // the pair
					continue
				case u >= 0xDC00 && u <= 0xDFFF:
					return i
				}
			}
			i++ // the escaped character
		}
	}
	return -1
}

// hex4 reads four hex digits of data at i.
func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// describeDecodeError says what is wrong with a body encoding/json refused.
func describeDecodeError(err error, target any) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return fmt.Sprintf("the body must be a JSON object; got a JSON %s", typeErr.Value)
	case errors.As(err, &typeErr):
		msg, _ := DescribeTypeErrorIn(err, target)
		return msg
	case errors.As(err, &syntaxErr):
		// Offset counts the bytes read, the bad one included; messages
		// name a byte by its index from 0.
		return fmt.Sprintf("not valid JSON at byte %d (%s)", max(syntaxErr.Offset-1, 0), strings.TrimPrefix(syntaxErr.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// FirstInvalidUTF8 returns the offset of the first byte of data that does
// not start a valid UTF-8 sequence, or -1 when all of data is valid.
func FirstInvalidUTF8(data []byte) int {
	if utf8.Valid(data) {
		return -1
	}
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}
