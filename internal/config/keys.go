package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// KeyError is a key of the config file that liveroom does not accept.
type KeyError struct {
	// Key is the dotted TOML path as written in the file, such as
	// "client.ping_intervall".
	Key string
	// Line is the line of the key in the file, starting at 1; 0 when it
	// could not be found. In an array of tables it is the key's last
	// occurrence.
	Line int
	// Problem says what is wrong and what to write instead.
	Problem string
}

func (e *KeyError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Problem)
	}
	return e.Problem
}

// checkKeys reports every key of the decoded document that no field took
// (unknown keys, from md.Undecoded) and every key that was only matched
// ignoring case (TOML keys are case-sensitive, the decoder is not).
func checkKeys(md *toml.MetaData, src []byte) error {
	root := reflect.TypeFor[Config]()
	undecoded := make(map[string]bool)
	for _, k := range md.Undecoded() {
		undecoded[k.String()] = true
	}
	ke := keyErrorList{src: src, reported: make(map[string]bool)}
	for _, k := range md.Undecoded() {
		if !ke.reported[k.String()] && !hasPrefixIn(k, undecoded) {
			ke.add(k, unknownKeyProblem(root, k))
		}
	}
	for _, k := range md.Keys() {
		s := k.String()
		if ke.reported[s] || undecoded[s] {
			continue
		}
		if want, ok := exactSpelling(root, k); !ok {
			ke.add(k, fmt.Sprintf("key %q must be written %q: keys are case-sensitive", s, want))
		}
	}
	return ke.err()
}

// keyErrorList collects the key errors of one file, each key once, at most
// maxKeyErrors of them (the rest only counted).
type keyErrorList struct {
	src      []byte
	reported map[string]bool
	errs     []error
	more     int
}

func (ke *keyErrorList) add(k toml.Key, problem string) {
	ke.reported[k.String()] = true
	for _, at := range keyPlaces(ke.src, k) {
		if len(ke.errs) == maxKeyErrors {
			ke.more++
			continue
		}
		p := problem
		if at.entry != "" {
			p = at.entry + ": " + problem
		}
		ke.errs = append(ke.errs, &KeyError{Key: k.String(), Line: at.line, Problem: p})
	}
}

// keyPlace is where a key is written: its line and, inside an array of
// tables, which entry ("namespaces entry 2").
type keyPlace struct {
	line  int
	entry string
}

// keyPlaces returns where k is written in src: one line for most keys,
// but for a key written directly in the entries of an array of tables
// ([[namespaces]]), its line in every entry that has it (the decoder knows
// only the last).
func keyPlaces(src []byte, k toml.Key) []keyPlace {
	table, ok := arrayOfTables(k.String())
	if !ok || len(k) != strings.Count(table, ".")+2 {
		return []keyPlace{{line: keyLine(src, k)}}
	}
	var places []keyPlace
	for n := 1; n <= entries(src, table); n++ {
		if line := entryKeyLine(src, table, n, k[len(k)-1]); line > 0 {
			places = append(places, keyPlace{line: line, entry: fmt.Sprintf("%s entry %d", table, n)})
		}
	}
	if len(places) == 0 {
		return []keyPlace{{line: keyLine(src, k)}}
	}
	return places
}

func (ke *keyErrorList) err() error {
	if ke.more > 0 {
		ke.errs = append(ke.errs, fmt.Errorf("and %d more keys like these", ke.more))
	}
	return errors.Join(ke.errs...)
}

// unknownKeyProblem says that k is unknown, with the likely key meant.
func unknownKeyProblem(root reflect.Type, k toml.Key) string {
	problem := fmt.Sprintf("unknown key %q", k.String())
	if hint := suggestKey(root, k); hint != "" {
		problem += fmt.Sprintf(" (did you mean %q?)", hint)
	}
	return problem
}

// maxKeyErrors bounds the key errors reported for one file (each one costs
// a decode of the file to find its line).
const maxKeyErrors = 20

// hasPrefixIn reports whether a proper prefix of k is in set, so that an
// unknown table is reported once rather than once per key inside it.
func hasPrefixIn(k toml.Key, set map[string]bool) bool {
	for i := 1; i < len(k); i++ {
		if set[k[:i].String()] {
			return true
		}
	}
	return false
}

// exactSpelling checks that every segment of k matches a field's key
// exactly; if not it returns the right spelling of the whole key.
func exactSpelling(root reflect.Type, k toml.Key) (string, bool) {
	t := root
	want := make([]string, 0, len(k))
	exactAll := true
	for _, seg := range k {
		f, exact, ok := lookupField(t, seg)
		if !ok {
			return "", true // not ours to judge: Undecoded covers it
		}
		exactAll = exactAll && exact
		want = append(want, tomlName(f))
		if t, ok = tableOf(f.Type); !ok {
			break
		}
	}
	return strings.Join(want, "."), exactAll
}

// keyProbe fails whenever the decoder gives it a value. keyLine puts it at
// the place of one key so that the decoder's error carries that key's
// position, which MetaData does not export.
type keyProbe struct{}

var errKeyProbe = errors.New("key probe")

func (*keyProbe) UnmarshalTOML(any) error { return errKeyProbe }

// keyLine returns the line of key k in src, or 0 if it cannot be found.
func keyLine(src []byte, k toml.Key) int {
	t, ok := probeType(reflect.TypeFor[Config](), k)
	if !ok {
		return 0
	}
	v := reflect.New(t)
	_, err := toml.Decode(string(src), v.Interface())
	var pe toml.ParseError
	if errors.As(err, &pe) && pe.LastKey == k.String() {
		return pe.Position.Line
	}
	return 0
}

// probeType builds a struct type with only the path of k, ending in a
// keyProbe. Tables along the path follow the shape of t (a table or an array
// of tables).
func probeType(t reflect.Type, k toml.Key) (reflect.Type, bool) {
	if strings.Contains(k[0], ",") {
		return nil, false // a tag cannot carry it
	}
	var inner reflect.Type
	if len(k) == 1 {
		inner = reflect.TypeFor[keyProbe]()
	} else {
		f, _, ok := lookupField(t, k[0])
		if !ok {
			return nil, false
		}
		sub, ok := tableOf(f.Type)
		if !ok {
			return nil, false
		}
		if inner, ok = probeType(sub, k[1:]); !ok {
			return nil, false
		}
		if f.Type.Kind() == reflect.Slice {
			inner = reflect.SliceOf(inner)
		}
	}
	return reflect.StructOf([]reflect.StructField{{
		Name: "F",
		Type: inner,
		Tag:  reflect.StructTag("toml:" + strconv.Quote(k[0])),
	}}), true
}

// unknownKeys names every key of src that no field of Config takes, found
// by a decode that knows nothing of Config's types. parseFile uses it when
// the typed decode failed: that decode stops at the first value of the
// wrong type, and the unknown keys would otherwise go unreported until that
// value was fixed. Keys matched only ignoring case are left for checkKeys.
func unknownKeys(src []byte) error {
	var raw map[string]any
	md, err := toml.Decode(string(src), &raw)
	if err != nil {
		return nil // a syntax error: the typed decode reported it
	}
	root := reflect.TypeFor[Config]()
	ke := keyErrorList{src: src, reported: make(map[string]bool)}
	for _, k := range md.Keys() {
		if !ke.reported[k.String()] && !hasPrefixIn(k, ke.reported) && !knownKey(root, k) {
			ke.add(k, unknownKeyProblem(root, k))
		}
	}
	return ke.err()
}

// knownKey reports whether a field of t takes k (ignoring case). Below a
// field that is not a table (a value, a map) any key is the value's own.
func knownKey(t reflect.Type, k toml.Key) bool {
	for _, seg := range k {
		f, _, ok := lookupField(t, seg)
		if !ok {
			return false
		}
		sub, isTable := tableOf(f.Type)
		if !isTable {
			return true
		}
		t = sub
	}
	return true
}

// describeDecodeError rewords the decoder's error about a value in the
// file's terms: the line, the key and what is wrong (for a value of the
// wrong type, the TOML type it needs and the one it got, never Go's type
// names). Other errors (TOML syntax) are returned as they are.
func describeDecodeError(err error) error {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		// A value of the wrong type is a plain error of the form
		// `toml: line N (last key "K"): incompatible types: …` or
		// `… type mismatch for T: expected table but found int64`.
		m := typeMismatch.FindStringSubmatch(err.Error())
		if m == nil {
			return err
		}
		line, _ := strconv.Atoi(m[1])
		pe = toml.ParseError{LastKey: m[2], Message: m[3], Position: toml.Position{Line: line}}
	}
	if pe.LastKey == "" {
		return err
	}
	problem := fmt.Sprintf("key %q: %s", pe.LastKey, pe.Message)
	if m := incompatible.FindStringSubmatch(pe.Message); m != nil {
		problem = fmt.Sprintf("key %q must be a TOML %s; got %s", pe.LastKey, tomlKind(m[2]), withArticle(tomlKind(m[1])))
	} else if m := mismatch.FindStringSubmatch(pe.Message); m != nil {
		problem = fmt.Sprintf("key %q must be a TOML %s; got %s", pe.LastKey, tomlKind(m[1]), withArticle(tomlKind(m[2])))
	}
	return &KeyError{Key: pe.LastKey, Line: pe.Position.Line, Problem: problem}
}

var (
	typeMismatch = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): ((?:incompatible types:|type mismatch for) .*)$`)
	incompatible = regexp.MustCompile(`^incompatible types: TOML value has type (.+); destination has type (.+)$`)
	mismatch     = regexp.MustCompile(`^type mismatch for .+: expected (\S+) but found (.+)$`)
)

// tomlKind names a Go type in the decoder's messages ("int64",
// "map[string]interface {}", "config.Duration", "table") as the TOML
// value it is or needs.
func tomlKind(goType string) string {
	switch t := strings.TrimPrefix(goType, "*"); {
	case t == "table" || strings.HasPrefix(t, "map[") || strings.Contains(t, "struct") || strings.HasPrefix(t, "config."):
		return "table"
	case strings.HasPrefix(t, "[]") || strings.HasPrefix(t, "slice") || t == "array":
		return "array"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		return "integer"
	case strings.HasPrefix(t, "float"):
		return "float"
	case t == "bool":
		return "boolean"
	case t == "string" || strings.HasPrefix(t, "primitive"): // "primitive (string-like)": a text value
		return "string"
	case strings.HasPrefix(t, "time."):
		return "date-time"
	}
	return goType
}

// withArticle puts "a" or "an" before a TOML type name.
func withArticle(kind string) string {
	if strings.IndexByte("aeiou", kind[0]) >= 0 {
		return "an " + kind
	}
	return "a " + kind
}
