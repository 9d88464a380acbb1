package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a server or client process pinned to one CPU with taskset. Its
// stdout lines are collected by one goroutine that ends when the process
// closes stdout (at its exit).
type child struct {
	name string
	cmd  *exec.Cmd
	pid  int

	mu     sync.Mutex
	lines  []string      // guarded by mu; every stdout line so far
	eof    bool          // guarded by mu; stdout closed
	notify chan struct{} // capacity 1; a line arrived or stdout closed
	read   int           // next line waitLine looks at; owned by the caller

	readerDone chan struct{} // closed when the line reader ends
	waited     chan struct{} // closed once cmd.Wait has returned
	waitErr    error         // set before waited is closed
}

// startChild runs bin with args on CPU cpu, with extra environment env.
func startChild(name, cpu, bin string, env []string, args ...string) (*child, error) {
	cmd := exec.Command("taskset", append([]string{"-c", cpu, bin}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	// If this process dies, so do its children: no stray servers holding ports.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// taskset execs the program, so this is the program's own pid.
	c := &child{name: name, cmd: cmd, pid: cmd.Process.Pid,
		notify: make(chan struct{}, 1), readerDone: make(chan struct{}), waited: make(chan struct{})}
	go c.readLines(bufio.NewScanner(out))
	go func() {
		<-c.readerDone // Wait closes the pipe, so let the reader finish first
		c.waitErr = cmd.Wait()
		close(c.waited)
	}()
	return c, nil
}

func (c *child) readLines(sc *bufio.Scanner) {
	defer close(c.readerDone)
	for sc.Scan() {
		c.mu.Lock()
		c.lines = append(c.lines, sc.Text())
		c.mu.Unlock()
		c.poke()
	}
	c.mu.Lock()
	c.eof = true
	c.mu.Unlock()
	c.poke()
}

func (c *child) poke() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// errFailLine is returned by waitLine when the child printed a "fail" line.
var errFailLine = errors.New("child reported a failure")

// waitLine returns the fields of the next stdout line starting with word.
// A "fail" line seen on the way ends the wait with errFailLine; so do the
// child's exit and ctx.
func (c *child) waitLine(ctx context.Context, word string) (map[string]string, error) {
	for {
		c.mu.Lock()
		for c.read < len(c.lines) {
			line := c.lines[c.read]
			c.read++
			first, _, _ := strings.Cut(line, " ")
			switch first {
			case word:
				c.mu.Unlock()
				return parseFields(line), nil
			case "fail":
				c.mu.Unlock()
				return nil, fmt.Errorf("%s: %w: %s", c.name, errFailLine, line)
			}
		}
		eof := c.eof
		c.mu.Unlock()
		if eof {
			return nil, fmt.Errorf("%s exited before printing %q", c.name, word)
		}
		select {
		case <-c.notify:
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: waiting for %q: %w", c.name, word, ctx.Err())
		}
	}
}

// stop sends SIGTERM and waits for the exit, killing the child if it has
// not exited after grace.
func (c *child) stop(grace time.Duration) error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.waited:
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.waited
		return fmt.Errorf("%s did not exit within %v of SIGTERM", c.name, grace)
	}
	return c.waitErr
}

// parseFields splits `word k=v k="quoted v" …` into a map (the word is
// stored under "").
func parseFields(line string) map[string]string {
	m := map[string]string{}
	word, rest, _ := strings.Cut(line, " ")
	m[""] = word
	for rest = strings.TrimSpace(rest); rest != ""; rest = strings.TrimSpace(rest) {
		k, v, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		if strings.HasPrefix(v, `"`) {
			if q, err := strconv.QuotedPrefix(v); err == nil {
				m[k], _ = strconv.Unquote(q)
				rest = v[len(q):]
				continue
			}
		}
		v, rest, _ = strings.Cut(v, " ")
		m[k] = v
	}
	return m
}

func intField(m map[string]string, k string) (int64, error) {
	v, err := strconv.ParseInt(m[k], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("field %s=%q: %w", k, m[k], err)
	}
	return v, nil
}
