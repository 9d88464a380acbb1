package hub

import (
	"errors"
	"testing"

	"github.com/centrifugal/protocol"
)

func TestRewriteDataLeavesWhatItIsGiven(t *testing.T) {
	pubs := []*protocol.Publication{{Offset: 1, Data: []byte(`"a"`)}, {Offset: 2, Data: []byte(`"b"`), Tags: map[string]string{"k": "v"}}}
	same, err := RewriteData(pubs, func(int, *protocol.Publication) ([]byte, error) { return nil, nil })
	if err != nil || &same[0] != &pubs[0] {
		t.Fatalf("nothing replaced: got a new slice or %v; want pubs itself", err)
	}
	out, err := RewriteData(pubs, func(i int, p *protocol.Publication) ([]byte, error) {
		if i == 1 {
			return []byte(`"B"`), nil
		}
		return nil, nil
	})
	if err != nil || len(out) != 2 || out[0] != pubs[0] || out[1] == pubs[1] ||
		string(out[1].Data) != `"B"` || out[1].Offset != 2 || out[1].Tags["k"] != "v" {
		t.Fatalf("one replaced: %+v, %v; want the second new with its offset and tags, the first as given", out, err)
	}
	if string(pubs[1].Data) != `"b"` {
		t.Fatalf("the publication given was changed: %s", pubs[1].Data)
	}
	boom := errors.New("boom")
	if _, err := RewriteData(pubs, func(int, *protocol.Publication) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("error %v; want the rewrite's", err)
	}
}
