package server_test

import (
	"net/http"
	"testing"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// chat.settings changes only the settings a request names: a partial
// update through the server API or the RPC keeps every other setting, an
// empty one changes nothing, and neither ever loosens the link policy.
func TestChatSettingsPartialUpdate(t *testing.T) {
	node := testkit.Start(t, nil)
	const room = "patch"
	mia := chatUser(t, node, "mia", modRoles)
	newbie := chatUser(t, node, "newbie", nil)

	full := map[string]any{"slow_mode": 0, "auto_slow": true, "auto_slow_seconds": 7, "members_only": false, "links": "members"}
	var got wire.ChatSettingsResult
	if status, werr := chatAPI(t, node, "chat_settings", map[string]any{"room": room, "set": full}, &got); status != http.StatusOK {
		t.Fatalf("chat_settings (every field): %d %+v", status, werr)
	}
	want := wire.ChatSettings{AutoSlow: true, AutoSlowSeconds: 7, Links: wire.LinksMembers}
	if got.Settings != want {
		t.Fatalf("settings after a full update: %+v; want %+v", got.Settings, want)
	}

	if status, werr := chatAPI(t, node, "chat_settings", map[string]any{"room": room, "set": map[string]any{"slow_mode": 5}}, &got); status != http.StatusOK {
		t.Fatalf("chat_settings (slow_mode only): %d %+v", status, werr)
	}
	want.SlowMode = 5
	if got.Settings != want {
		t.Fatalf("settings after setting slow_mode only: %+v; want %+v (the rest unchanged)", got.Settings, want)
	}

	if status, werr := chatAPI(t, node, "chat_settings", map[string]any{"room": room, "set": map[string]any{}}, &got); status != http.StatusOK {
		t.Fatalf("chat_settings (empty set): %d %+v", status, werr)
	}
	if got.Settings != want {
		t.Fatalf("settings after an empty set: %+v; want %+v (nothing changed)", got.Settings, want)
	}

	mustRPC(t, mia, wire.MethodChatSettings, map[string]any{"room": room, "set": map[string]any{"links": "mods"}}, &got)
	want.Links = wire.LinksMods
	if got.Settings != want {
		t.Fatalf("settings after the RPC set links only: %+v; want %+v", got.Settings, want)
	}

	err := rpc(newbie, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "see example.com"}, nil)
	wantCode(t, err, wire.CodeChatLink, "a new user's link after partial updates")

	status, werr := chatAPI(t, node, "chat_settings", map[string]any{"room": room, "set": map[string]any{"links": ""}}, nil)
	if status != http.StatusBadRequest || werr == nil || werr.Code != wire.CodeBadRequest {
		t.Fatalf("chat_settings with links \"\": %d %+v; want 400 / 107 (an empty policy is not \"allow\")", status, werr)
	}
}
