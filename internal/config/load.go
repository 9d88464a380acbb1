package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// Load builds the configuration of the process from, lowest precedence
// first: Default(), the TOML config file, environment variables and flags.
// args are the command-line arguments without the program name; getenv
// looks up environment variables (os.Getenv in main, a map in tests; an
// empty value counts as unset, a nil getenv as an empty environment). The
// config file is named by --config or LIVEROOM_CONFIG; there is none by
// default. An empty NodeName is filled in with the host name. The result
// has passed Validate.
//
// Errors: a bad flag, or -h/--help (the error wraps flag.ErrHelp; print
// WriteUsage), a positional argument, an unreadable file, TOML syntax, an
// unknown key or a value of the wrong type (with its key and line), a bad
// environment variable (naming it), and every Validate error.
func Load(args []string, getenv func(string) string) (*Config, error) {
	defs := flagDefs()
	fs := flag.NewFlagSet("liveroom", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	values := make([]*flagValue, len(defs))
	for i, d := range defs {
		values[i] = &flagValue{def: d}
		fs.Var(values[i], d.name, d.usage)
	}
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("command line: %w", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("command line: unexpected argument %q: only flags are accepted (see --help)", fs.Arg(0))
	}

	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	cfg := Default()
	// The file's path is itself a flag: take it from the flag, else the
	// environment, before reading the file.
	var path string
	for _, v := range values {
		if v.def.name == "config" {
			path = getenv(v.def.env())
			if v.seen {
				path = v.raw
			}
		}
	}
	if path != "" {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config file: %w", err)
		}
		if err := parseFile(cfg, src); err != nil {
			return nil, &fileError{path: path, err: err}
		}
	}

	var errs []error
	for _, d := range defs {
		if s := getenv(d.env()); s != "" {
			if err := d.set(cfg, s); err != nil {
				errs = append(errs, fmt.Errorf("environment variable %s: %w", d.env(), err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, v := range values {
		if v.seen {
			if err := v.def.set(cfg, v.raw); err != nil {
				return nil, fmt.Errorf("flag --%s: %w", v.def.name, err)
			}
		}
	}

	if cfg.NodeName == "" {
		if host, err := os.Hostname(); err == nil {
			cfg.NodeName = host
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	return cfg, nil
}

// fileDoc is what the config file decodes into: the Config, except that
// namespaces are kept raw so that each entry can start from
// NamespaceDefaults before its keys are applied.
type fileDoc struct {
	Config
	Namespaces []toml.Primitive `toml:"namespaces"`
}

// parseFile applies the TOML document src on top of cfg. It does not
// validate the result. Unknown keys and keys spelled in the wrong case are
// errors naming the key and its line.
func parseFile(cfg *Config, src []byte) error {
	doc, md, file, errs, err := decodeFile(cfg, src)
	if err != nil {
		return unreadableValues(cfg, src, err)
	}
	// Unknown keys first: a misspelt "name" is the likely cause of a
	// missing one.
	if err := checkKeys(&md, src); err != nil {
		errs = append([]error{err}, errs...)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	namespaces := mergeNamespaces(cfg.Namespaces, file)
	*cfg = doc.Config
	cfg.Namespaces = namespaces
	return nil
}

// decodeFile decodes src on top of cfg: the document, its metadata, the
// namespaces entries (each from NamespaceDefaults) and the entries' missing
// names (errs). err is the first value that could not be read (the decoder
// stops there), reworded by describeDecodeError.
func decodeFile(cfg *Config, src []byte) (doc fileDoc, md toml.MetaData, file []NamespaceConfig, errs []error, err error) {
	doc = fileDoc{Config: *cfg}
	doc.Config.Namespaces = nil
	md, err = toml.NewDecoder(bytes.NewReader(src)).Decode(&doc)
	if err != nil {
		return doc, md, nil, nil, inEntryUnknown(describeDecodeError(err))
	}
	file = make([]NamespaceConfig, 0, len(doc.Namespaces))
	for i, prim := range doc.Namespaces {
		var named struct {
			Name *string `toml:"name"`
		}
		ns := NamespaceDefaults("")
		if err := md.PrimitiveDecode(prim, &named); err != nil {
			return doc, md, nil, nil, inEntry(atEntryLine(describeDecodeError(err), src, "namespaces", i+1), fmt.Sprintf("namespaces entry %d", i+1))
		}
		if err := md.PrimitiveDecode(prim, &ns); err != nil {
			// Keys decode in no fixed order, so take the name from the
			// first pass.
			name := ""
			if named.Name != nil {
				name = *named.Name
			}
			return doc, md, nil, nil, inEntry(atEntryLine(describeDecodeError(err), src, "namespaces", i+1), fmt.Sprintf("namespaces entry %d (name %q)", i+1, name))
		}
		if named.Name == nil {
			errs = append(errs, fmt.Errorf("namespaces entry %d: missing key \"name\" (write name = \"\" for the default namespace)", i+1))
		}
		file = append(file, ns)
	}
	return doc, md, file, errs, nil
}

// The decoder gives a key's line as that of the key's last occurrence,
// which for a key inside an array of tables ([[namespaces]], [[auth.keys]])
// is the last entry's, whatever entry the bad value is in. atEntryLine
// puts the line of the key in the entry the caller knows; inEntryUnknown
// drops a line that cannot be trusted and says which array the value is
// in.

// inEntry names the entry of an array of tables a value error is in, after
// its line ("line 12: namespaces entry 3 (name "talk"): key …"), so every
// line of a report starts the same way.
func inEntry(err error, entry string) error {
	var ke *KeyError
	if !errors.As(err, &ke) {
		return fmt.Errorf("%s: %w", entry, err)
	}
	ke.Problem = entry + ": " + ke.Problem
	return ke
}

// atEntryLine sets a value error's line to that of its key inside entry n
// (from 1) of the array of tables named table; 0 when not found there.
func atEntryLine(err error, src []byte, table string, n int) error {
	var ke *KeyError
	if !errors.As(err, &ke) {
		return err
	}
	leaf := ke.Key[strings.LastIndexByte(ke.Key, '.')+1:]
	ke.Line = entryKeyLine(src, table, n, leaf)
	return err
}

// inEntryUnknown marks a value error whose key lies inside an array of
// tables, when the entry is not known.
func inEntryUnknown(err error) error {
	var ke *KeyError
	if !errors.As(err, &ke) {
		return err
	}
	if table, ok := arrayOfTables(ke.Key); ok {
		ke.Line = 0
		ke.Problem = fmt.Sprintf("in one of the [[%s]] entries: %s", table, ke.Problem)
	}
	return err
}

// arrayOfTables returns the array of tables a dotted key lies inside.
func arrayOfTables(key string) (string, bool) {
	t := reflect.TypeFor[Config]()
	segs := strings.Split(key, ".")
	for i, seg := range segs[:len(segs)-1] {
		f, _, ok := lookupField(t, seg)
		if !ok {
			return "", false
		}
		if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
			return strings.Join(segs[:i+1], "."), true
		}
		if t, ok = tableOf(f.Type); !ok {
			return "", false
		}
	}
	return "", false
}

// entryKeyLine finds the line (from 1) of key in entry n of [[table]]:
// after the n-th "[[table]]" header and before the next header; 0 when
// not found.
func entryKeyLine(src []byte, table string, n int, key string) int {
	header := "[[" + table + "]]"
	seen := 0
	for i, line := range strings.Split(string(src), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			if strings.HasPrefix(strings.ReplaceAll(t, " ", ""), header) {
				seen++
			} else if seen == n {
				return 0
			}
			continue
		}
		if seen != n {
			continue
		}
		if k, _, ok := strings.Cut(t, "="); ok && strings.Trim(strings.TrimSpace(k), `"'`) == key {
			return i + 1
		}
	}
	return 0
}

// unreadableValues reports a file with values that cannot be read. The
// decoder stops at the first one, in no fixed order, so the line of each
// one found is blanked and the file decoded again, until it reads or an
// error has no line of its own (a syntax error, also one that blanking a
// line of a value spanning several lines makes) or maxKeyErrors are
// found; then the file's unknown keys are added. One run names every
// value to fix.
func unreadableValues(cfg *Config, src []byte, first error) error {
	var errs []error
	if hint := tableShapeHint(src); hint != "" {
		first = fmt.Errorf("%w (%s)", first, hint)
	}
	work := bytes.Clone(src)
	for err := first; err != nil && len(errs) < maxKeyErrors; {
		var ke *KeyError
		if errors.As(err, &ke) && ke.Line == 0 {
			if table, ok := arrayOfTables(ke.Key); ok {
				if located := locateInEntries(work, table); located != nil {
					err = located
				}
			}
		}
		errs = append(errs, err)
		ke = nil
		if !errors.As(err, &ke) || !blankValue(work, ke) {
			break
		}
		_, _, _, _, err = decodeFile(cfg, work)
		if err != nil && !errors.As(err, &ke) {
			break // blanking broke the syntax: what was found stands
		}
	}
	if u := unknownKeys(src); u != nil {
		if j, ok := u.(interface{ Unwrap() []error }); ok {
			errs = append(errs, j.Unwrap()...)
		} else {
			errs = append(errs, u)
		}
	}
	// In the file's order, whatever order the decoder met them in; those
	// without a line last.
	slices.SortStableFunc(errs, func(a, b error) int { return errorLine(a) - errorLine(b) })
	return errors.Join(errs...)
}

// blankValue blanks the line of a value error's key in work: its own line,
// or, for a key in an unknown entry of an array of tables, the key's line
// in every entry. It reports whether anything was blanked.
func blankValue(work []byte, ke *KeyError) bool {
	if ke.Line > 0 {
		return blankLine(work, ke.Line)
	}
	table, ok := arrayOfTables(ke.Key)
	if !ok {
		return false
	}
	leaf := ke.Key[strings.LastIndexByte(ke.Key, '.')+1:]
	blanked := false
	for n := 1; n <= entries(work, table); n++ {
		if line := entryKeyLine(work, table, n, leaf); line > 0 {
			blanked = blankLine(work, line) || blanked
		}
	}
	return blanked
}

// locateInEntries decodes each [[table]] entry of src on its own, padded
// with empty lines so that its lines keep their numbers, and returns the
// first value error found, naming its entry; nil if none is found. The
// decoder cannot tell which entry of an array of tables a bad value is in;
// decoded alone, an entry can only report its own.
func locateInEntries(src []byte, table string) error {
	lines := strings.Split(string(src), "\n")
	n := 0
	for i, line := range lines {
		if !isHeader(line, table) {
			continue
		}
		n++
		end := i + 1
		for end < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[end]), "[") {
			end++
		}
		snippet := strings.Repeat("\n", i) + strings.Join(lines[i:end], "\n")
		var doc fileDoc
		if _, err := toml.Decode(snippet, &doc); err != nil {
			var ke *KeyError
			if e := describeDecodeError(err); errors.As(e, &ke) && ke.Line > 0 {
				return inEntry(e, fmt.Sprintf("%s entry %d", table, n))
			}
		}
	}
	return nil
}

// isHeader reports whether line is a "[[table]]" header.
func isHeader(line, table string) bool {
	return strings.HasPrefix(strings.ReplaceAll(strings.TrimSpace(line), " ", ""), "[["+table+"]]")
}

// entries counts the "[[table]]" headers of src.
func entries(src []byte, table string) int {
	n := 0
	for _, line := range strings.Split(string(src), "\n") {
		if isHeader(line, table) {
			n++
		}
	}
	return n
}

// errorLine is the line an error names, for sorting: one without a line
// sorts after every line.
func errorLine(err error) int {
	var ke *KeyError
	if errors.As(err, &ke) && ke.Line > 0 {
		return ke.Line
	}
	return math.MaxInt32
}

// blankLine turns line n (from 1) of src into spaces, in place, keeping
// every other line where it was; false if src has no such line.
func blankLine(src []byte, n int) bool {
	start := 0
	for line := 1; line < n; line++ {
		i := bytes.IndexByte(src[start:], '\n')
		if i < 0 {
			return false
		}
		start += i + 1
	}
	end := len(src)
	if i := bytes.IndexByte(src[start:], '\n'); i >= 0 {
		end = start + i
	}
	for i := start; i < end; i++ {
		src[i] = ' '
	}
	return true
}

// tableShapeHint explains the most common type error: an array of tables
// ([[auth.keys]], [[namespaces]]) written as a single table.
func tableShapeHint(src []byte) string {
	var raw map[string]any
	if _, err := toml.Decode(string(src), &raw); err != nil {
		return ""
	}
	for _, sk := range schemaKeys(reflect.TypeFor[Config](), nil) {
		if sk.field.Type.Kind() != reflect.Slice {
			continue
		}
		var v any = raw
		for _, seg := range sk.path {
			m, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = m[seg]
		}
		if _, isTable := v.(map[string]any); isTable {
			name := strings.Join(sk.path, ".")
			return fmt.Sprintf("%s holds a list of entries: write [[%s]] before each one", name, name)
		}
	}
	return ""
}

// fileError is what is wrong with a config file: one problem on one line,
// or a count and one problem per indented line.
type fileError struct {
	path string
	err  error
}

func (e *fileError) Unwrap() error { return e.err }

func (e *fileError) Error() string {
	parts := []error{e.err}
	if j, ok := e.err.(interface{ Unwrap() []error }); ok {
		parts = j.Unwrap()
	}
	if len(parts) == 1 {
		return fmt.Sprintf("config file %s: %v", e.path, parts[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "config file %s has %d problems:", e.path, len(parts))
	for _, p := range parts {
		b.WriteString("\n  ")
		b.WriteString(strings.ReplaceAll(p.Error(), "\n", "\n  "))
	}
	return b.String()
}
