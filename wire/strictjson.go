package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DecodeStrict reads a request body into v the way liveroom reads every
// JSON body (the server API, chat and support RPCs, accounts): an empty
// body reads as {}; a key given twice or not in lower case is refused
// (BodyKeyProblem, skipping the paths isPayload names); unknown fields are
// refused so a typo fails loudly; one JSON value and nothing after it. It
// returns "" when v was filled, else what is wrong in the API's terms (a
// field and the JSON it needs, never the decoder's Go types), for a
// 400 / 107 message.
func DecodeStrict(body []byte, v any, isPayload func(path string) bool) string {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
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
