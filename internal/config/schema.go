package config

import (
	"reflect"
	"strings"
)

// schemaKey is one key the config file accepts, found by walking the
// `toml` tags of Config.
type schemaKey struct {
	path  []string            // e.g. ["client", "ping_interval"]
	field reflect.StructField // the Go field it decodes into
	owner reflect.Type        // the struct that declares the field
}

// tableOf returns the struct type of a table or an array of tables, and
// whether t is one.
func tableOf(t reflect.Type) (reflect.Type, bool) {
	if t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t, t.Kind() == reflect.Struct
}

// tomlName returns the key of a struct field, or "" when it is not decoded.
func tomlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// schemaKeys lists every key of struct type t, tables before the keys inside
// them, in field order.
func schemaKeys(t reflect.Type, prefix []string) []schemaKey {
	var out []schemaKey
	for i := range t.NumField() {
		f := t.Field(i)
		name := tomlName(f)
		if name == "" {
			continue
		}
		path := append(append([]string(nil), prefix...), name)
		out = append(out, schemaKey{path: path, field: f, owner: t})
		if sub, ok := tableOf(f.Type); ok {
			out = append(out, schemaKeys(sub, path)...)
		}
	}
	return out
}

// lookupField finds the field of struct t for key name: exactly, or else
// ignoring case as the TOML decoder does (exact reports which).
func lookupField(t reflect.Type, name string) (f reflect.StructField, exact, ok bool) {
	var folded *reflect.StructField
	for i := range t.NumField() {
		ff := t.Field(i)
		tag := tomlName(ff)
		if tag == "" {
			continue
		}
		if tag == name {
			return ff, true, true
		}
		if folded == nil && strings.EqualFold(tag, name) {
			folded = &ff
		}
	}
	if folded != nil {
		return *folded, false, true
	}
	return reflect.StructField{}, false, false
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// suggestKey proposes the key that an unknown key was probably meant to
// be: a sibling a couple of typos away, or a key of the same name in
// another table. It returns "" when nothing is close.
func suggestKey(root reflect.Type, key []string) string {
	t := root
	for _, seg := range key[:len(key)-1] {
		f, _, ok := lookupField(t, seg)
		if !ok {
			return ""
		}
		if t, ok = tableOf(f.Type); !ok {
			return ""
		}
	}
	last := strings.ToLower(key[len(key)-1])
	best, bestDist := "", 3
	if len(last) < 6 {
		bestDist = 2
	}
	for _, sk := range schemaKeys(t, key[:len(key)-1]) {
		if len(sk.path) != len(key) {
			continue
		}
		if d := editDistance(last, sk.path[len(sk.path)-1]); d < bestDist {
			best, bestDist = strings.Join(sk.path, "."), d
		}
	}
	if best != "" {
		return best
	}
	for _, sk := range schemaKeys(root, nil) {
		if sk.path[len(sk.path)-1] == last {
			return strings.Join(sk.path, ".")
		}
	}
	return ""
}
