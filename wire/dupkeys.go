package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
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
// publication's own data is the client's JSON, passed on as it is. It is
// asked only about keys at most two deep. Keys nested deeper than
// MaxBodyDepth are not looked at.
// Documents that are not valid JSON return "" (the decoder refuses them
// with a position).
func DuplicateKey(doc []byte, opaque func(path string) bool) string {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	p, _ := scanKeys(dec, keyRules{opaque: opaque})
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
	p, _ := scanKeys(dec, keyRules{opaque: opaque, fold: true})
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

// maxScanDepth is how deep scanKeys looks: past it a document is left to
// the decoders, which refuse such depths themselves (DecodeStrict at
// MaxBodyDepth, publication data at 64 levels, encoding/json at 10,000).
const maxScanDepth = MaxBodyDepth

// maxOpaqueDepth bounds the paths the opaque rule is asked about: payloads
// sit at most two keys deep ("data", "publish.data"), and building every
// deeper path would cost the square of the depth.
const maxOpaqueDepth = 2

// pathStep is one step of a key's path: an object key, or an array index
// when index ≥ 0.
type pathStep struct {
	key   string
	index int
}

// keyScanner walks one JSON document. Paths are kept as steps and only
// spelled out when a key is reported or the opaque rule must see one, so
// the work is linear in the document however deep or wide it is.
type keyScanner struct {
	dec   *json.Decoder
	rules keyRules
	steps []pathStep
}

// path spells out the current path ("since.offset", "list[1].k").
func (k *keyScanner) path() string {
	var b strings.Builder
	for i, st := range k.steps {
		switch {
		case st.index >= 0:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(st.index))
			b.WriteByte(']')
		case i > 0:
			b.WriteByte('.')
			b.WriteString(st.key)
		default:
			b.WriteString(st.key)
		}
	}
	return b.String()
}

// scanKeys reads one JSON value from dec and returns the first offending
// key in it.
func scanKeys(dec *json.Decoder, rules keyRules) (keyProblem, error) {
	k := &keyScanner{dec: dec, rules: rules}
	return k.value()
}

// value reads one JSON value and returns the first offending key in it.
func (k *keyScanner) value() (keyProblem, error) {
	tok, err := k.dec.Token()
	if err != nil {
		return keyProblem{}, err
	}
	switch tok {
	case json.Delim('{'):
		return k.object()
	case json.Delim('['):
		if len(k.steps) >= maxScanDepth {
			return keyProblem{}, errTooDeep
		}
		for i := 0; k.dec.More(); i++ {
			k.steps = append(k.steps, pathStep{index: i})
			p, err := k.value()
			k.steps = k.steps[:len(k.steps)-1]
			if p.path != "" || err != nil {
				return p, err
			}
		}
		_, err = k.dec.Token() // ']'
		return keyProblem{}, err
	}
	return keyProblem{}, nil
}

// object reads the members of an object whose '{' was read.
func (k *keyScanner) object() (keyProblem, error) {
	if len(k.steps) >= maxScanDepth {
		return keyProblem{}, errTooDeep
	}
	seen := map[string]bool{}
	for k.dec.More() {
		kt, err := k.dec.Token()
		if err != nil {
			return keyProblem{}, err
		}
		key, _ := kt.(string)
		norm := key
		if k.rules.fold {
			norm = strings.ToLower(key)
		}
		k.steps = append(k.steps, pathStep{key: key, index: -1})
		p, err := k.member(key, norm, seen)
		k.steps = k.steps[:len(k.steps)-1]
		if p.path != "" || err != nil {
			return p, err
		}
		seen[norm] = true
	}
	_, err := k.dec.Token() // '}'
	return keyProblem{}, err
}

// member checks one key (its step pushed) and reads its value.
func (k *keyScanner) member(key, norm string, seen map[string]bool) (keyProblem, error) {
	if seen[norm] {
		return keyProblem{path: k.path(), key: key}, nil
	}
	if k.rules.opaque != nil && len(k.steps) <= maxOpaqueDepth && k.rules.opaque(k.path()) {
		var skip json.RawMessage
		return keyProblem{}, k.dec.Decode(&skip)
	}
	if k.rules.fold && norm != key {
		return keyProblem{path: k.path(), key: key, upper: true}, nil
	}
	return k.value()
}

// errTooDeep stops a scan past maxScanDepth.
var errTooDeep = errors.New("nested too deeply to look at the keys")
