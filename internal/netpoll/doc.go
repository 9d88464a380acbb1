// Package netpoll reads and writes many sockets from a few event-loop
// goroutines, without a goroutine per connection, and without holding a Go
// P while it waits.
//
// On Linux each loop owns an epoll set (epoll(7)) of its connections, level
// triggered for reading. The loop never blocks in epoll_wait: the epoll
// descriptor itself is handed to the Go runtime's network poller (an epoll
// descriptor becomes readable when one of its members has an event), and
// the loop goroutine parks there like any goroutine waiting on a socket.
// When the set has events, the runtime wakes the loop, which calls
// epoll_wait with a zero timeout until the set is empty, then parks again.
// So a waiting loop costs no P and no thread: with GOMAXPROCS=1 a goroutine
// that a read woke runs as soon as the loop yields, rather than when the
// runtime's monitor notices a thread stuck in a system call (up to 10 ms
// or more; decision 0022).
//
// Writes are non-blocking: Conn.Write writes what the kernel takes at once
// and copies the rest into the connection's queue, which the loop flushes
// when the socket is writable again (EPOLLOUT is watched only while the
// queue is non-empty). Handler.OnWritten reports every byte the kernel
// took, so a caller can count what a connection still holds.
//
// A descriptor is closed only on its loop goroutine, between reads, under
// the connection's write lock: a descriptor number reused by a new socket
// can never receive a stale event, read or write meant for the old one.
//
// On other systems a portable implementation with the same API runs a
// reader goroutine per connection on the net package.
package netpoll
