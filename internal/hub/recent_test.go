package hub

import (
	"encoding/json"
	"testing"

	"github.com/centrifugal/protocol"
)

// Data stored before it was checked for UTF-8 is read back with U+FFFD in
// place of each bad sequence: still one JSON value, and a JSON client's
// push of it encodes.
func TestStoredDataThatIsNotUTF8IsReadAsValidJSON(t *testing.T) {
	body, err := (&protocol.Publication{Data: []byte("{\"t\":\"bad\xff\xfe!\"}")}).MarshalCF()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := decodePublication(body)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(pub.Data); got != "{\"t\":\"bad\uFFFD!\"}" || !json.Valid(pub.Data) {
		t.Fatalf("data read as %q", got)
	}
	if push := encodePush("room:a", pub, protocol.TypeJSON); push == nil {
		t.Fatal("the push of the repaired data does not encode")
	}
}
