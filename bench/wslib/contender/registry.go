// Package contender holds the WebSocket server libraries under measurement,
// each behind the same small Server interface, and a registry that maps the
// -server flag of cmd/wsserver to them.
//
// Adding a contender is one file in this package: implement Server and call
// Register from an init function. cmd/wsserver and cmd/wsbench pick it up by
// name with no other change.
package contender

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
)

// Server is one WebSocket server under test. It accepts connections on any
// path, reads and discards what clients send, and broadcasts on command.
type Server interface {
	// Serve accepts WebSocket connections on ln until ctx is done, then
	// closes ln and every connection and returns once its goroutines have
	// stopped (or, for libraries that cannot be waited for, once they were
	// told to stop).
	Serve(ctx context.Context, ln net.Listener) error
	// Conns is the number of open WebSocket connections.
	Conns() int
	// Broadcast writes msg, count times, to every connection open when it
	// starts, as fast as the library allows while each connection holds at
	// most a small bounded backlog in user space. It returns when every
	// write has been handed to the kernel, or when ctx is done.
	Broadcast(ctx context.Context, msg []byte, count int) BroadcastResult
}

// BroadcastResult says what one Broadcast did.
type BroadcastResult struct {
	Conns  int   `json:"conns"`  // connections written to
	Writes int64 `json:"writes"` // messages handed to the library without error
	Failed int   `json:"failed"` // connections that returned a write error
	// Runs counts the runs of messages written back to back to one
	// connection; Writes/Runs is the mean run length.
	Runs int64  `json:"runs"`
	Err  string `json:"err,omitempty"`
}

// Factory builds a fresh, not yet serving, Server.
type Factory func() (Server, error)

type entry struct {
	describe string
	factory  Factory
}

var (
	registryMu sync.Mutex
	registry   = map[string]entry{}
)

// Register adds a contender under name. describe says in one line what the
// contender runs (library, I/O model, how it broadcasts). It panics on a
// duplicate name, since that is a programming error found at start-up.
func Register(name, describe string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("contender: duplicate name " + name)
	}
	registry[name] = entry{describe: describe, factory: f}
}

// New builds the contender registered under name.
func New(name string) (Server, error) {
	registryMu.Lock()
	e, ok := registry[name]
	registryMu.Unlock()
	if !ok {
		return nil, fmt.Errorf("unknown server %q (known: %v)", name, Names())
	}
	return e.factory()
}

// Names lists the registered contenders in a stable order.
func Names() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Describe returns the one-line description given to Register.
func Describe(name string) string {
	registryMu.Lock()
	defer registryMu.Unlock()
	return registry[name].describe
}
