package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// A resubscribe that must recover or fail (flag 2) says why it cannot:
// a wrong epoch, an offset ahead of the channel.
func TestUnrecoverableSubscribeSaysWhy(t *testing.T) {
	node := testkit.Start(t, nil)
	const ch = "room:why"
	node.Publish(ch, "one")
	epoch := node.Epoch(ch)
	c := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	c.Connect(node.Token("ann"))
	for _, tc := range []struct {
		epoch  string
		offset uint64
		want   string
	}{
		{"zzz", 1, `epoch "zzz" is not the channel's current epoch`},
		{epoch, 100, "offset 100 is ahead of the channel's newest, 1"},
	} {
		rep := c.Call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch, Recover: true, Epoch: tc.epoch, Offset: tc.offset, Flag: 2}})
		if rep.Error == nil || rep.Error.Code != 112 || !strings.Contains(rep.Error.Message, tc.want) {
			t.Fatalf("epoch %q offset %d: %+v; want 112 saying %q", tc.epoch, tc.offset, rep.Error, tc.want)
		}
	}
}

// A JSON command with a value of the wrong type is answered with 107
// naming the field and the JSON it needs, not a byte offset.
func TestMalformedCommandNamesTheField(t *testing.T) {
	node := testkit.Start(t, nil)
	c := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	c.Connect(node.Token("ann"))
	for id, tc := range map[uint32]struct{ line, want string }{
		7:  {`{"id":7,"subscribe":{"channel":5}}`, `field "subscribe.channel" must be a string; got a JSON number`},
		8:  {`{"id":8,"history":{"channel":"room:a","since":{"offset":"abc"}}}`, `field "history.since.offset" must be a non-negative integer; got a JSON string`},
		9:  {`{"id":9,"subscribe":{"channel":"room:a","channel":"room:b"}}`, `field "subscribe.channel" is given twice; give each field once`},
		10: {`{"id":10,"history":{"channel":"room:a","limit":99999999999}}`, `field "history.limit" must be an integer from -2147483648 to 2147483647; got 99999999999, out of range`},
	} {
		c.SendBytes([]byte(tc.line))
		rep := c.Reply(id)
		if rep.Error == nil || rep.Error.Code != 107 || !strings.Contains(rep.Error.Message, tc.want) {
			t.Fatalf("%s: %+v; want 107 saying %q", tc.line, rep.Error, tc.want)
		}
	}
}

// A command whose id cannot be read cannot be answered: the connection is
// closed with 3501, and the reason says what is wrong with the id.
func TestUnreadableIDClosesSayingWhy(t *testing.T) {
	node := testkit.Start(t, nil)
	for line, want := range map[string]string{
		`{"id":-1,"subscribe":{"channel":5}}`:         `"id" must be 1 to 4294967295 (no sign, fraction or exponent); got -1`,
		`{"id":4294967296,"subscribe":{"channel":5}}`: `got 4294967296`,
		`{"id":"2","subscribe":{"channel":5}}`:        `got "2"`,
		`{"id":1,"id":2,"subscribe":{"channel":5}}`:   `field "id" is given twice`,
		`[]`: `a command must be a JSON object`,
	} {
		c := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
		c.Connect(node.Token("ann"))
		c.SendBytes([]byte(line))
		code, reason := c.Closed(testTimeout)
		if code != 3501 || !strings.Contains(reason, want) {
			t.Errorf("%s: closed %d %q; want 3501 saying %q", line, code, reason, want)
		}
	}
}

// Missed publications that would not fit in one reply are not recovered,
// whether the node answers from memory (another subscriber holds the
// channel) or from the stream: a plain resubscribe gets recovered: false,
// and one that must recover (flag 2) is refused with 112 saying that size,
// not trimming, is why. History still serves them, in pages.
func TestRecoveryTooLargeForOneReplySaysSo(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) { c.Client.QueueMaxBytes = 64 << 10 })
	watcher := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	watcher.Connect(node.Token("watcher"))
	for _, held := range []bool{false, true} {
		ch := fmt.Sprintf("room:big-held-%v", held)
		if held {
			if rep := watcher.Call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch}}); rep.Error != nil {
				t.Fatalf("watcher: %+v", rep.Error)
			}
		}
		node.Publish(ch, "first")
		epoch := node.Epoch(ch)
		big := strings.Repeat("x", 12<<10)
		for range 4 { // about 48 KiB missed, more than half of the 64 KiB queue
			node.Publish(ch, big)
		}
		c := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
		c.Connect(node.Token("ann"))
		rep := c.Call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch, Recover: true, Epoch: epoch, Offset: 1, Flag: 2}})
		const want = "the 4 publications after offset 1 take more than one reply may carry (32768 bytes"
		if rep.Error == nil || rep.Error.Code != 112 || !strings.Contains(rep.Error.Message, want) || !strings.Contains(rep.Error.Message, "history in pages") {
			t.Fatalf("held %v: %+v; want 112 saying %q and how to read them", held, rep.Error, want)
		}
		rep = c.Call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch, Recover: true, Epoch: epoch, Offset: 1}})
		if rep.Error != nil || rep.Subscribe == nil || !rep.Subscribe.WasRecovering || rep.Subscribe.Recovered || len(rep.Subscribe.Publications) != 0 {
			t.Fatalf("held %v: %+v; want was_recovering, recovered: false and no publications", held, rep)
		}
		rep = c.Call(&protocol.Command{History: &protocol.HistoryRequest{Channel: ch, Limit: 2, Since: &protocol.StreamPosition{Offset: 1, Epoch: epoch}}})
		if rep.Error != nil || rep.History == nil || len(rep.History.Publications) != 2 || rep.History.Publications[0].Offset != 2 {
			t.Fatalf("held %v: %+v; want a page of the 2 publications after offset 1", held, rep)
		}
	}
}
