package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// stateDoc is a ~2 KiB JSON document of which one field changes per
// version: the slowly changing state that fossil deltas are for.
func stateDoc(version int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"version":%d,"players":[`, version)
	for i := 0; i < 28; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		score := i * 100
		if i == version%28 {
			score += version
		}
		fmt.Fprintf(&b, `{"id":"player-%02d","name":"Player number %d","score":%d,"ready":true}`, i, i, score)
	}
	b.WriteString(`],"note":"ünïcödé stays exact"}`)
	return []byte(b.String())
}

func deltaNode(t *testing.T) *testkit.Node {
	return testkit.Start(t, func(c *config.Config) {
		ns := config.NamespaceDefaults("state")
		ns.HistorySize, ns.Recovery, ns.Delta = 100, true, config.DeltaFossil
		c.Namespaces = append(c.Namespaces, ns)
		c.Client.PingInterval = config.Duration(time.Second)
		c.Client.PongTimeout = config.Duration(500 * time.Millisecond)
	})
}

// TestFossilDeltaWithGoClient: JSON and Protobuf centrifuge-go clients,
// with permessage-deflate on, subscribe to one channel with delta
// 'fossil' and receive every version of a state document byte for byte,
// across a cut with recovery; the delta is computed once per publication,
// not once per subscriber.
func TestFossilDeltaWithGoClient(t *testing.T) {
	node := deltaNode(t)
	api := newAPIPoster(t, node)
	const ch = "state:board"
	cutter := testkit.NewCutter()
	var recs []*recorder
	for _, codec := range codecs {
		c := connect(t, codec.new, node.WSURL, centrifuge.Config{
			Token: node.Token("dora"), NetDialContext: cutter.Dial, EnableCompression: true,
			MaxServerPingDelay: time.Second, MinReconnectDelay: 50 * time.Millisecond, MaxReconnectDelay: 200 * time.Millisecond,
		})
		_, rec := subscribe(t, c, ch, centrifuge.SubscriptionConfig{Delta: centrifuge.DeltaTypeFossil})
		recs = append(recs, rec)
	}
	var sent [][]byte
	publish := func(n int) {
		for i := 0; i < n; i++ {
			doc := stateDoc(len(sent) + 1)
			if _, err := api.publish(ch, doc); err != nil {
				t.Fatal(err)
			}
			sent = append(sent, doc)
		}
	}
	check := func(step string) {
		t.Helper()
		for i, rec := range recs {
			testkit.Eventually(t, 10*time.Second, func() bool { return rec.count() >= len(sent) }, "%s: %s client got %d publications", step, codecs[i].name, len(sent))
			rec.mu.Lock()
			for j, p := range rec.pubs {
				if p.Offset != uint64(j+1) || !bytes.Equal(p.Data, sent[j]) {
					rec.mu.Unlock()
					t.Fatalf("%s: %s client publication %d: offset %d, data %.60q; want offset %d, data %.60q", step, codecs[i].name, j, p.Offset, p.Data, j+1, sent[j])
				}
			}
			if len(rec.pubs) != len(sent) {
				rec.mu.Unlock()
				t.Fatalf("%s: %s client got %d publications, want %d", step, codecs[i].name, len(rec.pubs), len(sent))
			}
			rec.mu.Unlock()
		}
	}
	stats0 := node.Server.Hub().Stats()
	publish(20)
	check("live")
	// Deltas for publications 2..20, each computed once for both clients.
	if d := node.Server.Hub().Stats().DeltasComputed - stats0.DeltasComputed; d != 19 {
		t.Fatalf("computed %d deltas for 19 delta publications to 2 subscribers; want 19 (once per publication)", d)
	}
	// permessage-deflate was negotiated by both clients and the pushes
	// went compressed, each publication compressed once per form.
	for _, want := range []string{`liveroom_websocket_compressed_messages_total{direction="out"}`, `liveroom_fanout_compressions_total{kind="deflate"}`} {
		if v := metricValue(t, node, want); v < 1 {
			t.Fatalf("%s = %v; want compressed traffic", want, v)
		}
	}
	for cycle := 1; cycle <= 2; cycle++ {
		_, before := recs[0].lastSubscribed()
		cutter.Cut()
		publish(5)
		cutter.Restore()
		for i, rec := range recs {
			testkit.Eventually(t, 10*time.Second, func() bool { _, n := rec.lastSubscribed(); return n > before }, "cycle %d: %s client resubscribed", cycle, codecs[i].name)
			if ev, _ := rec.lastSubscribed(); !ev.Recovered {
				t.Fatalf("cycle %d: %s client subscribed %+v; want recovered", cycle, codecs[i].name, ev)
			}
		}
		publish(10)
		check(fmt.Sprintf("after cut %d", cycle))
	}
}

// TestFossilDeltaOnTheWire reads the pushes a JSON client gets: the first
// publication after subscribe is full (data as a JSON string, delta
// false), the following ones are deltas much shorter than the document;
// after a resubscribe with recovery the recovered publications are full
// and the next live one is a delta again. A namespace without delta
// answers delta false and sends plain data; an unknown delta type is 107.
func TestFossilDeltaOnTheWire(t *testing.T) {
	node := deltaNode(t)
	api := newAPIPoster(t, node)
	const ch = "state:wire"
	c := dialP(t, node.WSURL)
	c.connect(node.Token("erin"))
	rep := c.call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch, Delta: "fossil", Recover: true}})
	if rep.Error != nil || !rep.Subscribe.Delta {
		t.Fatalf("subscribe: %+v; want delta negotiated", rep)
	}
	for v := 1; v <= 3; v++ {
		if _, err := api.publish(ch, stateDoc(v)); err != nil {
			t.Fatal(err)
		}
	}
	c.until(10*time.Second, func() bool { return len(c.pubs(ch)) == 3 }, "3 publications")
	pubs := c.pubs(ch)
	var full string
	if err := json.Unmarshal(pubs[0].Data, &full); err != nil || pubs[0].Delta || full != string(stateDoc(1)) {
		t.Fatalf("first publication: delta %v, data %.80q (%v); want the full document as a JSON string", pubs[0].Delta, pubs[0].Data, err)
	}
	for _, p := range pubs[1:] {
		if !p.Delta || len(p.Data) > len(stateDoc(1))/4 {
			t.Fatalf("publication %d: delta %v, %d bytes; want a short delta", p.Offset, p.Delta, len(p.Data))
		}
	}

	// Resubscribe from offset 1: 2 and 3 come back full in the reply.
	c.call(&protocol.Command{Unsubscribe: &protocol.UnsubscribeRequest{Channel: ch}})
	epoch := node.Epoch(ch)
	rep = c.call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch, Delta: "fossil", Recover: true, Epoch: epoch, Offset: 1}})
	if rep.Error != nil || !rep.Subscribe.Recovered || len(rep.Subscribe.Publications) != 2 {
		t.Fatalf("recover: %+v", rep)
	}
	for i, p := range rep.Subscribe.Publications {
		var s string
		if err := json.Unmarshal(p.Data, &s); err != nil || p.Delta || s != string(stateDoc(i+2)) {
			t.Fatalf("recovered publication %d: delta %v, data %.60q; want full as a JSON string", p.Offset, p.Delta, p.Data)
		}
	}
	before := len(c.pubs(ch))
	if _, err := api.publish(ch, stateDoc(4)); err != nil {
		t.Fatal(err)
	}
	c.until(10*time.Second, func() bool { return len(c.pubs(ch)) > before }, "publication 4")
	if p := c.pubs(ch)[before]; !p.Delta || p.Offset != 4 {
		t.Fatalf("first live publication after recovery: offset %d delta %v; want a delta against the recovered 3", p.Offset, p.Delta)
	}

	// room: has no delta: not negotiated, plain JSON data.
	rep = c.call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: "room:plain", Delta: "fossil"}})
	if rep.Error != nil || rep.Subscribe.Delta {
		t.Fatalf("subscribe to a namespace without delta: %+v; want success with delta false", rep)
	}
	rep = c.call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: "state:other", Delta: "xdelta"}})
	if rep.Error == nil || rep.Error.Code != 107 {
		t.Fatalf("unknown delta type: %+v; want error 107", rep)
	}
}

// metricValue reads one sample of the node's /metrics (the series as
// written there, labels included); -1 when absent.
func metricValue(t *testing.T, node *testkit.Node, series string) float64 {
	t.Helper()
	resp, err := http.Get(node.BaseURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", series, err)
			}
			return v
		}
	}
	return -1
}
