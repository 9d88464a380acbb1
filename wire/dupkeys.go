package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// DuplicateKey returns the path of the first key given twice in one object
// of a JSON document ("since.offset" for nested keys, "list[1].k" inside
// arrays), or "" when there is none. Go's encoding/json keeps the last of
// two equal keys silently, and the protocol's fast decoder refuses them
// with only a byte offset; a document such as {"channel":"a","channel":"b"}
// is ambiguous (a proxy or validator reading the first key sees a) and is
// refused by name instead. Keys are compared exactly, as the protocol's
// decoder matches them.
//
// opaque, when set, names the paths whose values are not looked into: a
// publication's own data is the client's JSON, passed on as it is.
// Documents that are not valid JSON return "" (the decoder refuses them
// with a position).
func DuplicateKey(doc []byte, opaque func(path string) bool) string {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	p, _ := scanKeys(dec, "", keyRules{opaque: opaque})
	return p.path
}

// BodyKeyProblem checks the keys of a request body that encoding/json will
// decode, which matches field names without regard to case: two keys that
// differ only in case ("channel" and "Channel") are the same field given
// twice, and a key with an upper-case letter reaches a field whose name is
// written otherwise. liveroom's field names are lower case, so both are
// refused. It returns "" or what is wrong, naming the key's path; opaque
// is as for DuplicateKey.
func BodyKeyProblem(body []byte, opaque func(path string) bool) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	p, _ := scanKeys(dec, "", keyRules{opaque: opaque, fold: true})
	switch {
	case p.path == "":
		return ""
	case p.upper:
		return fmt.Sprintf("field %q is not known: field names are lower case (%q)", p.path, strings.ToLower(p.key))
	default:
		return fmt.Sprintf("field %q is given twice; give each field once", p.path)
	}
}

type keyRules struct {
	opaque func(string) bool
	fold   bool // compare keys without case, and refuse upper-case keys
}

// keyProblem is the first offending key: its path, the key itself, and
// whether it was refused for an upper-case letter (else as a duplicate).
type keyProblem struct {
	path, key string
	upper     bool
}

// scanKeys reads one JSON value from dec and returns the first offending
// key in it.
func scanKeys(dec *json.Decoder, path string, rules keyRules) (keyProblem, error) {
	tok, err := dec.Token()
	if err != nil {
		return keyProblem{}, err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return keyProblem{}, err
			}
			key, _ := kt.(string)
			at := key
			if path != "" {
				at = path + "." + key
			}
			norm := key
			if rules.fold {
				norm = strings.ToLower(key)
			}
			if seen[norm] {
				return keyProblem{path: at, key: key}, nil
			}
			seen[norm] = true
			if rules.opaque != nil && rules.opaque(at) {
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return keyProblem{}, err
				}
				continue
			}
			if rules.fold && norm != key {
				return keyProblem{path: at, key: key, upper: true}, nil
			}
			if p, err := scanKeys(dec, at, rules); p.path != "" || err != nil {
				return p, err
			}
		}
		_, err = dec.Token() // '}'
		return keyProblem{}, err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if p, err := scanKeys(dec, fmt.Sprintf("%s[%d]", path, i), rules); p.path != "" || err != nil {
				return p, err
			}
		}
		_, err = dec.Token() // ']'
		return keyProblem{}, err
	}
	return keyProblem{}, nil
}
