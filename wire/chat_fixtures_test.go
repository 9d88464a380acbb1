package wire

import "testing"

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
	checkFixtures(t, "testdata/chat", types)
}
