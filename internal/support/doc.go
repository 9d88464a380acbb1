// Package support is support chat inside a session as a pure state
// machine (design D4): no goroutines, no clock, no I/O. Time is an input.
//
// A conversation is one event stream, the history of its private channel
// support:<id>, and that history is its transcript:
//
//	opened ──claim──▶ claimed ──resolve──▶ resolved
//	  (queued) ◀──release──┘
//	  └──────────resolve (withdrawn, or by the server)───▶ resolved
//
// Messages go both ways while it is open: from the user at any time, from
// an agent once they claimed it. Typing indicators are decided here but
// not stored.
//
// The main loop, as the module runs it:
//
//	c := support.New(cfg, id)
//	c.Apply(offset, event)            // for every stored event (load)
//	d, err := c.Decide(cmd, now)      // a command: decide
//	// err: refused; tell the caller (a *wire.Error saying why). Else
//	// append d.Events to the channel with the offset c.Offset() as the
//	// expected one; on a conflict another node wrote first: catch up
//	// with Apply and decide again. This is what makes a claim race have
//	// exactly one winner.
//	c.Apply(offset, event)            // each appended event
//	// then carry out d.Effects: the queue and its index, typing
//	// indicators, ending a released agent's access, audit entries.
package support
