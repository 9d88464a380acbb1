package server_test

import (
	"fmt"
	"testing"
)

// C06, JSON layer: a command whose id decodes but whose body does not (a
// value of the wrong type, a duplicate key) is answered with error 107
// carrying that id, not by closing the connection: the client learns
// which command was wrong, and no value is coerced.
func TestC06DecodableIDGetsReply(t *testing.T) {
	node := c06Node(t)
	epoch := node.Epoch("room:c06")
	f := func(format string, args ...any) func(uint32) string {
		return func(id uint32) string { return fmt.Sprintf(format, append([]any{id}, args...)...) }
	}
	history := `{"id":%%d,"history":{"channel":"room:c06","limit":10,"since":{"offset":%s,"epoch":%q}}}`
	inputs := []jsonInput{
		{name: "subscribe channel as an object", frame: f(`{"id":%d,"subscribe":{"channel":{}}}`), reply: wantReplyError(107, "")},
		{name: "subscribe channel as a number", frame: f(`{"id":%d,"subscribe":{"channel":5}}`), reply: wantReplyError(107, "")},
		{name: "history offset \"abc\"", frame: f(fmt.Sprintf(history, `"abc"`, epoch)), reply: wantReplyError(107, "")},
		{name: "history offset -5", frame: f(fmt.Sprintf(history, `-5`, epoch)), reply: wantReplyError(107, "")},
		{name: "history offset 1e309", frame: f(fmt.Sprintf(history, `1e309`, epoch)), reply: wantReplyError(107, "")},
		{name: "duplicate rpc keys", frame: f(`{"id":%d,"rpc":{"method":"time"},"rpc":{"method":"time"}}`), reply: wantReplyError(107, "")},
	}
	runJSONInputs(t, node, inputs, 2*len(inputs))
}
