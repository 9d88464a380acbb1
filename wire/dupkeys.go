package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// DuplicateKey returns the path of the first key given twice in one object
// of a JSON document ("since.offset" for nested keys, "list[1].k" inside
// arrays), or "" when there is none. Go's encoding/json keeps the last of
// two equal keys silently, and the protocol's fast decoder refuses them
// with only a byte offset; a document such as {"channel":"a","channel":"b"}
// is ambiguous (a proxy or validator reading the first key sees a) and is
// refused by name instead.
//
// opaque, when set, names the paths whose values are not looked into: a
// publication's own data is the client's JSON, passed on as it is.
// Documents that are not valid JSON return "" (the decoder refuses them
// with a position).
func DuplicateKey(doc []byte, opaque func(path string) bool) string {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	dup, _ := scanDuplicates(dec, "", opaque)
	return dup
}

// scanDuplicates reads one JSON value from dec and returns the path of
// the first duplicated key in it.
func scanDuplicates(dec *json.Decoder, path string, opaque func(string) bool) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return "", err
			}
			key, _ := kt.(string)
			at := key
			if path != "" {
				at = path + "." + key
			}
			if seen[key] {
				return at, nil
			}
			seen[key] = true
			if opaque != nil && opaque(at) {
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return "", err
				}
				continue
			}
			if dup, err := scanDuplicates(dec, at, opaque); dup != "" || err != nil {
				return dup, err
			}
		}
		_, err = dec.Token() // '}'
		return "", err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if dup, err := scanDuplicates(dec, fmt.Sprintf("%s[%d]", path, i), opaque); dup != "" || err != nil {
				return dup, err
			}
		}
		_, err = dec.Token() // ']'
		return "", err
	}
	return "", nil
}
