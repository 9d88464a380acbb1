package hub

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// commandID reads the id of a JSON command that failed to decode, so the
// error can be answered to that command. It is strict: the line must be
// one valid JSON object with exactly one "id" member whose value is a
// positive integer that fits in 32 bits, written without sign, fraction or
// exponent. Anything else yields ok = false (and the connection is closed).
func commandID(line []byte) (id uint32, ok bool) {
	if !json.Valid(line) {
		return 0, false
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0, false
	}
	found := false
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			return 0, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return 0, false
		}
		if key, _ := keyTok.(string); key != "id" {
			continue
		}
		if found {
			return 0, false // duplicate id: ambiguous
		}
		found = true
		s := string(raw)
		if s == "" || s[0] < '1' || s[0] > '9' {
			return 0, false
		}
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return 0, false
		}
		id = uint32(v)
	}
	return id, found
}
