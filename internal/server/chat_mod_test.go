package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// A shadow-banned user's message is answered "published" and reaches only
// their own personal channel and the moderators' channel; the room never
// sees it. A held message goes to the author (pending review) and the
// moderators; approving publishes it to the room once, and tells the
// author; rejecting tells them why.
func TestChatShadowBanAndHolds(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) { c.Chat.HeldTerms = []string{"promo"} })
	const room = "review"
	mia := chatUser(t, node, "mia", modRoles)
	viewer := chatUser(t, node, "viewer", nil)
	ada := chatUser(t, node, "ada", nil)
	_, roomRec := subscribe(t, viewer, wire.ChatChannel(room), centrifuge.SubscriptionConfig{})
	_, modRec := subscribe(t, mia, wire.ChatModChannel(room), centrifuge.SubscriptionConfig{})
	_, adaRec := subscribe(t, ada, wire.PersonalChannel("ada"), centrifuge.SubscriptionConfig{})

	mustRPC(t, mia, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActShadowBan, User: "ada"}, nil)
	var res wire.ChatSendResult
	mustRPC(t, ada, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "can anyone hear me", CID: "s1"}, &res)
	if res.Status != wire.StatusPublished {
		t.Fatalf("shadow-banned send answered %+v; want published", res)
	}
	testkit.Eventually(t, 5*time.Second, func() bool {
		for _, n := range notices(adaRec) {
			if n.Kind == wire.NoticeOwn && n.Message != nil && n.Message.Text == "can anyone hear me" {
				return true
			}
		}
		return false
	}, "the author sees her own message")
	testkit.Eventually(t, 5*time.Second, func() bool {
		return hasEvent(modRec, func(ev wire.ChatEvent) bool { return ev.Type == wire.EventShadow && ev.User == "ada" })
	}, "moderators see it in their channel")
	mustRPC(t, mia, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "marker"}, nil)
	testkit.Eventually(t, 5*time.Second, func() bool {
		return hasEvent(roomRec, func(ev wire.ChatEvent) bool { return ev.Text == "marker" })
	}, "the room's next message arrives")
	if hasEvent(roomRec, func(ev wire.ChatEvent) bool { return ev.User == "ada" }) {
		t.Fatal("the room saw a shadow-banned user's message")
	}
	mustRPC(t, mia, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActUnshadowBan, User: "ada"}, nil)

	var held wire.ChatSendResult
	mustRPC(t, ada, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "my promo code", CID: "h1"}, &held)
	if held.Status != wire.StatusHeld || held.Offset != 0 {
		t.Fatalf("held send answered %+v; want held without a room offset", held)
	}
	var q wire.ChatQueue
	mustRPC(t, mia, wire.MethodChatQueue, wire.ChatRoomRequest{Room: room}, &q)
	if len(q.Held) != 1 || q.Held[0].Message.ID != held.ID || q.Held[0].Reason != `term "promo"` {
		t.Fatalf("queue %+v; want the held message with its reason", q.Held)
	}
	wantCode(t, rpc(ada, wire.MethodChatQueue, wire.ChatRoomRequest{Room: room}, nil), wire.CodePermissionDenied, "a user reading the queue")
	mustRPC(t, mia, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActApprove, ID: held.ID}, nil)
	wantCode(t, rpc(mia, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActApprove, ID: held.ID}, nil),
		wire.CodeChatNoMessage, "approving twice")
	testkit.Eventually(t, 5*time.Second, func() bool {
		return hasEvent(roomRec, func(ev wire.ChatEvent) bool {
			return ev.ID == held.ID && ev.Held == held.ID && ev.Text == "my promo code"
		})
	}, "the approved message reaches the room")
	testkit.Eventually(t, 5*time.Second, func() bool {
		kinds := map[string]bool{}
		for _, n := range notices(adaRec) {
			kinds[n.Kind] = true
		}
		return kinds[wire.NoticeHeld] && kinds[wire.NoticeApproved]
	}, "the author was told it is pending, then approved")
	var rejected wire.ChatSendResult
	mustRPC(t, ada, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "another promo"}, &rejected)
	mustRPC(t, mia, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActReject, ID: rejected.ID, Reason: "no ads"}, nil)
	testkit.Eventually(t, 5*time.Second, func() bool {
		for _, n := range notices(adaRec) {
			if n.Kind == wire.NoticeRejected && n.ID == rejected.ID && n.Reason == "no ads" {
				return true
			}
		}
		return false
	}, "the author learns the rejection and its reason")
}

// Reports reach the queue grouped by target; each reporter is confirmed
// and later told the outcome. Every moderation action is in the room's
// audit log, which the server API queries by moderator and target, and
// which the engine keeps append-only.
func TestChatReportsAndAudit(t *testing.T) {
	node := testkit.Start(t, nil)
	const room = "reports"
	mia := chatUser(t, node, "mia", modRoles)
	troll := chatUser(t, node, "troll", nil)
	var bad wire.ChatSendResult
	mustRPC(t, troll, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "you are all losers"}, &bad)
	var recs []*recorder
	for _, u := range []string{"r1", "r2"} {
		c := chatUser(t, node, u, nil)
		_, rec := subscribe(t, c, wire.PersonalChannel(u), centrifuge.SubscriptionConfig{})
		recs = append(recs, rec)
		var res wire.ChatReportResult
		mustRPC(t, c, wire.MethodChatReport, wire.ChatReportRequest{Room: room, ID: bad.ID, Reason: "harassment"}, &res)
		if res.Target != "message:"+bad.ID || res.Already {
			t.Fatalf("report result %+v", res)
		}
	}
	var q wire.ChatQueue
	mustRPC(t, mia, wire.MethodChatQueue, wire.ChatRoomRequest{Room: room}, &q)
	if len(q.Reports) != 1 || len(q.Reports[0].Reports) != 2 || q.Reports[0].User != "troll" || q.Reports[0].Message.Text != "you are all losers" {
		t.Fatalf("queue reports %+v; want one group of two about troll's message", q.Reports)
	}
	mustRPC(t, mia, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActDelete, ID: bad.ID, Reason: "harassment"}, nil)
	mustRPC(t, mia, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActTimeout, User: "troll", Seconds: 300, Reason: "harassment"}, nil)
	mustRPC(t, mia, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActResolve, Target: "message:" + bad.ID, Outcome: wire.OutcomeActioned, Reason: "removed"}, nil)
	for i, rec := range recs {
		testkit.Eventually(t, 5*time.Second, func() bool {
			kinds := map[string]string{}
			for _, n := range notices(rec) {
				kinds[n.Kind] = n.Outcome
			}
			_, confirmed := kinds[wire.NoticeReported]
			return confirmed && kinds[wire.NoticeOutcome] == wire.OutcomeActioned
		}, "reporter %d confirmed, then told the outcome", i+1)
	}

	// The backend acts too: settings through the API, as itself.
	slow := wire.ChatSettings{SlowMode: 3, Links: wire.LinksAllow}
	if status, werr := chatAPI(t, node, "chat_settings", map[string]any{"room": room, "set": slow}, nil); status != http.StatusOK {
		t.Fatalf("chat_settings: %d %+v", status, werr)
	}

	var all, byMia, aboutTroll wire.ChatAuditResult
	chatAPI(t, node, "chat_audit", map[string]any{"room": room}, &all)
	chatAPI(t, node, "chat_audit", map[string]any{"room": room, "moderator": "mia"}, &byMia)
	chatAPI(t, node, "chat_audit", map[string]any{"room": room, "target": "troll", "limit": 2}, &aboutTroll)
	actions := func(r wire.ChatAuditResult) (out []string) {
		for _, e := range r.Entries {
			out = append(out, e.Actor+":"+e.Action)
		}
		return out
	}
	if got := actions(all); len(got) != 4 || got[0] != ":settings" || got[1] != "mia:resolve" || got[3] != "mia:delete" {
		t.Fatalf("audit log %v; want settings, resolve, timeout, delete (newest first)", got)
	}
	if got := actions(byMia); len(got) != 3 {
		t.Fatalf("mia's actions %v; want 3", got)
	}
	if len(aboutTroll.Entries) != 2 || aboutTroll.Entries[0].Action != wire.ActResolve || aboutTroll.Entries[1].Reason != "harassment" {
		t.Fatalf("actions on troll (limit 2) %+v", aboutTroll.Entries)
	}
	page, werr := chatAPI(t, node, "chat_audit", map[string]any{"room": room, "before": all.Entries[1].Offset}, &all)
	if page != http.StatusOK || werr != nil || len(all.Entries) != 2 || all.Entries[0].Action != wire.ActTimeout {
		t.Fatalf("audit page before offset: %d %+v %+v", page, werr, all.Entries)
	}
	wantCode(t, rpc(troll, wire.MethodChatAudit, wire.ChatAuditRequest{Room: room}, nil), wire.CodePermissionDenied, "a user reading the audit log")

	on, err := node.Server.Engine().AppendOnly(context.Background(), "audit")
	if err != nil || !on {
		t.Fatalf("the audit namespace's stream refuses deletes and purges: %v, %v; want true", on, err)
	}
	status, _ := chatAPI(t, node, "publish", map[string]any{"channel": wire.ChatAuditChannel(room), "data": map[string]string{"forged": "entry"}}, nil)
	if status != http.StatusForbidden {
		t.Fatalf("publishing into the audit log: %d; want 403", status)
	}
}
