// Package chat is the chat of a live room as a pure state machine (design
// D4): no goroutines, no clock, no I/O. Time is an input.
//
// A room has two event streams, each the history of one channel:
//
//   - the room channel chat:<room> (Public): messages, edits, tombstones,
//     reactions, pins, clears, settings, roles, timeouts and bans — what
//     everyone in the room sees;
//   - the moderation channel chatmod:<room> (Private): held messages,
//     messages of shadow-banned users, shadow-bans, reports and their
//     outcomes, the room's term filter — what only moderators see.
//
// The main loop, as the module runs it:
//
//	room := chat.NewRoom(cfg, "lobby")
//	room.Apply(chat.Public, offset, event)   // for every stored event (load)
//	d, err := room.Decide(cmd, now)           // a command: decide
//	// err: refused; tell the caller (a *wire.Error with the reason and
//	// when to retry). Else append d.Events to d.Stream with the stream's
//	// expected offset; on a conflict, catch up with Apply and decide again.
//	room.Apply(d.Stream, offset, event)       // each appended event
//	// then carry out d.Effects: personal notices, ending a banned user's
//	// subscriptions, audit entries.
//	next := room.NextTick(now)                // when to call Decide(Tick{})
//
// Each decision writes to one stream only, so one compare-and-set append
// makes it exclusive. Decisions read both states (a send looks at bans
// in Public and shadow-bans in Private); see docs/decisions/0013 for what
// that allows under concurrency.
package chat
