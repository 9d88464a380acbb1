package wire

import (
	"strings"
	"testing"
)

// The JSON fixtures in testdata/support are the documented shapes of
// support's payloads (docs/support.md): each decodes strictly into its
// type and encodes back to the same bytes.
func TestSupportFixtures(t *testing.T) {
	types := map[string]func() any{
		"open_request":    func() any { return &SupportOpenRequest{} },
		"open_result":     func() any { return &SupportOpenResult{} },
		"send_request":    func() any { return &SupportSendRequest{} },
		"send_result":     func() any { return &SupportSendResult{} },
		"resolve_request": func() any { return &SupportResolveRequest{} },
		"event_opened":    func() any { return &SupportEvent{} },
		"event_claimed":   func() any { return &SupportEvent{} },
		"event_message":   func() any { return &SupportEvent{} },
		"event_resolved":  func() any { return &SupportEvent{} },
		"queue_event":     func() any { return &SupportQueueEvent{} },
		"typing":          func() any { return &SupportTyping{} },
		"list_request":    func() any { return &SupportListRequest{} },
	}
	checkFixtures(t, "testdata/support", types)
}

func TestValidateConversationID(t *testing.T) {
	for id, ok := range map[string]bool{"k3vq7x2m9d1p": true, "": false, "ABC": false, "a:b": false, strings.Repeat("a", 65): false, strings.Repeat("a", 64): true} {
		if err := ValidateConversationID(id); (err == nil) != ok {
			t.Errorf("ValidateConversationID(%q) = %v; want ok=%v", id, err, ok)
		}
	}
}

func TestSupportAgentRole(t *testing.T) {
	for _, tc := range []struct {
		roles Roles
		want  bool
	}{
		{nil, false},
		{Roles{"support:*": {RoleAgent}}, true},
		{Roles{"*": {RoleAgent}}, true},
		{Roles{"chat:*": {RoleAgent}}, false},
		{Roles{"support:*": {RoleModerator}}, false},
	} {
		if got := SupportAgent(tc.roles); got != tc.want {
			t.Errorf("SupportAgent(%v) = %v; want %v", tc.roles, got, tc.want)
		}
	}
}
