package wire

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The JSON fixtures in testdata/chat are the documented shapes of the
// chat's payloads: each decodes strictly (no unknown fields) into its
// type and encodes back to the same bytes.
func TestChatFixtures(t *testing.T) {
	types := map[string]func() any{
		"send_request":     func() any { return &ChatSendRequest{} },
		"send_result":      func() any { return &ChatSendResult{} },
		"send_result_held": func() any { return &ChatSendResult{} },
		"event_message":    func() any { return &ChatEvent{} },
		"event_delete":     func() any { return &ChatEvent{} },
		"event_react":      func() any { return &ChatEvent{} },
		"event_settings":   func() any { return &ChatEvent{} },
		"event_timeout":    func() any { return &ChatEvent{} },
		"event_held":       func() any { return &ChatEvent{} },
		"event_report":     func() any { return &ChatEvent{} },
		"notice_timeout":   func() any { return &ChatNotice{} },
		"moderate_request": func() any { return &ChatModerateRequest{} },
		"audit_entry":      func() any { return &AuditEntry{} },
		"typing":           func() any { return &ChatTyping{} },
	}
	files, err := filepath.Glob("testdata/chat/*.json")
	if err != nil || len(files) != len(types) {
		t.Fatalf("%d fixtures for %d types (%v)", len(files), len(types), err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		newV, ok := types[name]
		if !ok {
			t.Fatalf("fixture %s has no type", name)
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raw = bytes.TrimSpace(raw)
		v := newV()
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, raw) {
			t.Errorf("%s round trip:\n got %s\nwant %s", name, out, raw)
		}
	}
}
