// Package script runs golden-file script tests of the features' state
// machines (chat rooms, support conversations).
//
// A script is a text file. Each command line is followed by a line
// "----" and the lines it must produce, up to a blank line. Blank lines and
// lines starting with "#" are kept as they are; lines starting with a
// directive word the caller names (such as "at" to set the clock or
// "config" to change limits) are passed to the caller's handler and kept.
// With update set, the file is rewritten with what the commands produced
// instead of being compared, so a deliberate change is re-recorded and
// then reviewed as a diff.
package script

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Machine is what a script drives.
type Machine struct {
	// Run executes one command line and returns what it produced (lines
	// joined by "\n"; "" for nothing).
	Run func(t *testing.T, line string) string
	// Directives handle non-command lines by their first word; the rest of
	// the line (trimmed) is passed.
	Directives map[string]func(t *testing.T, rest string)
	// Finally, when set, runs after the last command (e.g. a check that
	// replaying the events rebuilds the state).
	Finally func(t *testing.T)
}

// RunDir runs every testdata/*.txt script as a subtest, each on a fresh
// machine from newMachine.
func RunDir(t *testing.T, update bool, newMachine func(t *testing.T) Machine) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in testdata/: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			RunFile(t, f, update, newMachine(t))
		})
	}
}

// RunFile runs one script file against m.
func RunFile(t *testing.T, file string, update bool, m Machine) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	var out strings.Builder
	failed := false
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			out.WriteString(lines[i] + "\n")
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		if h, ok := m.Directives[word]; ok {
			h(t, strings.TrimSpace(rest))
			out.WriteString(lines[i] + "\n")
			continue
		}
		if i+1 >= len(lines) || strings.TrimSpace(lines[i+1]) != "----" {
			t.Fatalf("%s:%d: %q must be followed by a ---- line", file, i+1, line)
		}
		start := i + 1
		i += 2
		var want []string
		for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
			want = append(want, lines[i])
		}
		got := m.Run(t, line)
		if w := strings.Join(want, "\n"); got != w && !update {
			t.Errorf("%s:%d: %s\n--- got:\n%s\n--- want:\n%s", file, start, line, got, w)
			failed = true
		}
		out.WriteString(line + "\n----\n")
		if got != "" {
			out.WriteString(got + "\n")
		}
		out.WriteString("\n")
	}
	if m.Finally != nil {
		m.Finally(t)
	}
	switch {
	case update:
		if err := os.WriteFile(file, []byte(strings.TrimRight(out.String(), "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	case failed:
		t.Log("run with -update to re-record, then review the diff")
	}
}

// At parses an "at" directive: "+D" moves now on by the duration D, "D"
// sets it to start + D (D in time.ParseDuration's syntax).
func At(t *testing.T, now, start time.Time, spec string) time.Time {
	rel := strings.HasPrefix(spec, "+")
	d, err := time.ParseDuration(strings.TrimPrefix(spec, "+"))
	if err != nil {
		t.Fatalf("at %s: %v", spec, err)
	}
	if rel {
		return now.Add(d)
	}
	return start.Add(d)
}

// Args splits a line on spaces; "double quoted" parts (Go string syntax,
// also as the value of key="…") stay whole, unquoted.
func Args(t *testing.T, line string) []string {
	var out []string
	var cur strings.Builder
	inArg := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ':
			if inArg {
				out = append(out, cur.String())
				cur.Reset()
				inArg = false
			}
		case c == '"':
			end := i + 1
			for end < len(line) && line[end] != '"' {
				if line[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(line) {
				t.Fatalf("unterminated quote in %q", line)
			}
			uq, err := strconv.Unquote(line[i : end+1])
			if err != nil {
				t.Fatalf("bad quote in %q: %v", line, err)
			}
			cur.WriteString(uq)
			inArg = true
			i = end
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if inArg {
		out = append(out, cur.String())
	}
	return out
}

// Positional splits arguments into plain ones and key=value ones.
func Positional(args []string) ([]string, map[string]string) {
	var pos []string
	kv := map[string]string{}
	for _, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok && k != "" && !strings.ContainsAny(k, " \"") {
			kv[k] = v
			continue
		}
		pos = append(pos, a)
	}
	return pos, kv
}

// JSON is v encoded as JSON; the test fails if it cannot be.
func JSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(fmt.Errorf("encode %T: %w", v, err))
	}
	return string(b)
}
