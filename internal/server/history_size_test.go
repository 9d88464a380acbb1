package server_test

import (
	"strings"
	"testing"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// A history reply that would not fit in the connection's queue is refused
// with 106 and the number of publications that do fit, instead of closing
// a client that reads at full speed as a slow consumer (3008). The
// connection stays usable, and a page of that size is served.
func TestHistoryTooLargeForTheQueueIsRefusedNotDisconnected(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) {
		ns := config.NamespaceDefaults("big")
		ns.HistorySize = 100
		c.Namespaces = append(c.Namespaces, ns)
	})
	const channel = "big:log"
	payload := strings.Repeat("h", 30000)
	for range 34 { // about 1 MB: more than half of the default 1 MiB queue
		node.Publish(channel, map[string]string{"text": payload})
	}
	c := dialP(t, node.WSURL)
	c.connect(node.Token("reader"))

	rep := c.call(&protocol.Command{History: &protocol.HistoryRequest{Channel: channel, Limit: -1}})
	if rep.Error == nil || rep.Error.Code != 106 || rep.History != nil {
		t.Fatalf("history of about 1 MB: error %v, %d publications; want error 106 and none", rep.Error, len(rep.History.GetPublications()))
	}
	if !strings.Contains(rep.Error.Message, "ask for at most") {
		t.Fatalf("error message %q does not say how many fit", rep.Error.Message)
	}

	// The connection is still open, and a smaller page is served.
	rep = c.call(&protocol.Command{History: &protocol.HistoryRequest{Channel: channel, Limit: 10}})
	if rep.Error != nil || len(rep.History.GetPublications()) != 10 {
		t.Fatalf("history limit 10 after the refusal: error %v, %d publications; want 10", rep.Error, len(rep.History.GetPublications()))
	}
}
