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
// the body must be valid UTF-8 (RFC 8259 §8.1), never repaired. It
// returns "" when v was filled, else what is wrong in the API's terms (a
// field and the JSON it needs, never the decoder's Go types), for a
// 400 / 107 message.
func DecodeStrict(body []byte, v any, isPayload func(path string) bool) string {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if at := FirstInvalidUTF8(body); at >= 0 {
		// encoding/json would turn the bytes into U+FFFD: a channel or a
		// user name would silently become another one.
		return fmt.Sprintf("not valid UTF-8 at byte %d: JSON text must be UTF-8", at)
	}
	if problem := BodyKeyProblem(body, isPayload); problem != "" {
		return problem
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeDecodeError(err)
	}
	if dec.More() {
		return "more than one JSON value"
	}
	return ""
}

// describeDecodeError says what is wrong with a body encoding/json refused.
func describeDecodeError(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return fmt.Sprintf("the body must be a JSON object; got a JSON %s", typeErr.Value)
	case errors.As(err, &typeErr):
		msg, _ := DescribeTypeError(err)
		return msg
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("not valid JSON at byte %d (%s)", syntaxErr.Offset, strings.TrimPrefix(syntaxErr.Error(), "json: "))
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
