package api

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// duplicateKey returns the first key given twice in one object of a
// request body ("since.offset" for nested ones), or "" when there is
// none. encoding/json keeps the last of two equal keys silently; a body
// such as {"channel":"a","channel":"b"} would then publish to b while a
// proxy or validator that reads the first key sees a. The publication
// payload ("data" at the top level) is the client's own JSON, passed on
// as it is, and is not looked into. Bodies that are not valid JSON return
// "" and are refused by the decoder with a position.
func duplicateKey(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	dup, _ := scanDuplicates(dec, "", true)
	return dup
}

// scanDuplicates reads one JSON value from dec and returns the path of
// the first duplicated key in it. top is set for the body itself.
func scanDuplicates(dec *json.Decoder, path string, top bool) (string, error) {
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
			if top && key == "data" {
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return "", err
				}
				continue
			}
			if dup, err := scanDuplicates(dec, at, false); dup != "" || err != nil {
				return dup, err
			}
		}
		_, err = dec.Token() // '}'
		return "", err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if dup, err := scanDuplicates(dec, fmt.Sprintf("%s[%d]", path, i), false); dup != "" || err != nil {
				return dup, err
			}
		}
		_, err = dec.Token() // ']'
		return "", err
	}
	return "", nil
}
