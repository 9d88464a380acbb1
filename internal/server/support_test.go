package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// A support conversation from start to end with real clients: opened from
// a room with its recent chat attached, queued for the agents live, the
// user's connection state visible, claimed ("agent joined"), typing and
// messages both ways as the channel's history, the user's leave seen by
// the agent, resolved with a resolution, and the transcript kept for the
// user, the agent and the server API; the room's support audit log says
// who did what.
func TestSupportConversationEndToEnd(t *testing.T) {
	node := testkit.Start(t, nil)
	const room = "help"
	ada := chatUser(t, node, "ada", nil)
	sam := chatUser(t, node, "sam", agentRoles)
	mustRPC(t, ada, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "is the stream frozen for anyone else?"}, nil)
	_, queue := subscribe(t, sam, wire.SupportQueueChannel, centrifuge.SubscriptionConfig{})

	conv := openSupport(t, ada, room, "my stream froze")
	if conv.User != "ada" || conv.Room != room || conv.Text != "my stream froze" || conv.Messages != 1 || conv.Offset != 1 || conv.UserName != "ada" {
		t.Fatalf("opened %+v", conv)
	}
	testkit.Eventually(t, 5*time.Second, func() bool {
		q := queueEvents(queue)
		return len(q) == 1 && q[0].ID == conv.ID && q[0].Status == wire.StatusQueued
	}, "the agents' queue shows the new conversation live")
	if q := queued(t, node); len(q) != 1 || q[0].ID != conv.ID || q[0].Online == nil || *q[0].Online {
		t.Fatalf("queue %+v; want the conversation, user not yet connected to it", q)
	}

	// The user follows the conversation: the queue shows them connected.
	adaSub, adaRec := subscribe(t, ada, wire.SupportChannel(conv.ID), centrifuge.SubscriptionConfig{})
	_, adaTyping := subscribe(t, ada, wire.SupportTypingChannel(conv.ID), centrifuge.SubscriptionConfig{})
	testkit.Eventually(t, 5*time.Second, func() bool { q := queued(t, node); return len(q) == 1 && *q[0].Online }, "the queue shows the user online")

	// The opened event carries the room's recent chat and what the page said.
	var tr wire.SupportTranscript
	mustRPC(t, ada, wire.MethodSupportTranscript, wire.SupportIDRequest{ID: conv.ID}, &tr)
	if len(tr.Events) != 1 || tr.Events[0].Context == nil || len(tr.Events[0].Context.Recent) != 1 ||
		tr.Events[0].Context.Recent[0].Text != "is the stream frozen for anyone else?" {
		t.Fatalf("transcript %+v; want the opened event with the room's recent message attached", tr)
	}

	var claimed wire.SupportConversation
	mustRPC(t, sam, wire.MethodSupportClaim, wire.SupportIDRequest{ID: conv.ID}, &claimed)
	if claimed.Status != wire.StatusClaimed || claimed.Agent != "sam" || claimed.AgentName != "sam" {
		t.Fatalf("claimed %+v", claimed)
	}
	testkit.Eventually(t, 5*time.Second, func() bool {
		return hasSupportEvent(adaRec, func(e wire.SupportEvent) bool { return e.Type == wire.SupportClaimed && e.Agent == "sam" })
	}, "the user sees the agent join")
	samSub, samRec := subscribe(t, sam, wire.SupportChannel(conv.ID), centrifuge.SubscriptionConfig{})
	pres, err := samSub.Presence(context.Background())
	if err != nil || !presentUser(pres.Clients, "ada") {
		t.Fatalf("presence %+v, %v; want the user connected", pres, err)
	}

	mustRPC(t, sam, wire.MethodSupportTyping, wire.SupportIDRequest{ID: conv.ID}, nil)
	testkit.Eventually(t, 5*time.Second, func() bool { return adaTyping.count() == 1 }, "the user sees the agent typing")
	var sent wire.SupportSendResult
	mustRPC(t, sam, wire.MethodSupportSend, wire.SupportSendRequest{ID: conv.ID, Text: "Hi Ada, which browser?", CID: "s1"}, &sent)
	mustRPC(t, ada, wire.MethodSupportSend, wire.SupportSendRequest{ID: conv.ID, Text: "Firefox", CID: "a1"}, nil)
	var again wire.SupportSendResult
	mustRPC(t, sam, wire.MethodSupportSend, wire.SupportSendRequest{ID: conv.ID, Text: "Hi Ada, which browser?", CID: "s1"}, &again)
	if sent.Offset != 3 || !again.Duplicate || again.ID != sent.ID {
		t.Fatalf("sent %+v, retried %+v; want offset 3 and the retry answered with it", sent, again)
	}
	testkit.Eventually(t, 5*time.Second, func() bool { return adaRec.count() == 3 && samRec.count() == 2 }, "messages delivered both ways")
	evs := supportEvents(adaRec)
	if evs[1].From != wire.FromAgent || evs[2].From != wire.FromUser || evs[2].Text != "Firefox" || evs[2].Offset != 4 {
		t.Fatalf("events %+v; want the agent's then the user's message at offsets 3 and 4", evs)
	}

	// The user's connection state: the agent sees them leave.
	adaSub.Unsubscribe()
	testkit.Eventually(t, 5*time.Second, func() bool {
		samRec.mu.Lock()
		defer samRec.mu.Unlock()
		return len(samRec.leaves) > 0 && samRec.leaves[len(samRec.leaves)-1].User == "ada"
	}, "the agent sees the user leave")

	var done wire.SupportConversation
	mustRPC(t, sam, wire.MethodSupportResolve, wire.SupportResolveRequest{ID: conv.ID, Outcome: wire.OutcomeSolved, Note: "cleared the cache"}, &done)
	if done.Status != wire.StatusResolved || done.Outcome != wire.OutcomeSolved || done.Messages != 3 {
		t.Fatalf("resolved %+v", done)
	}
	wantCode(t, rpc(ada, wire.MethodSupportSend, wire.SupportSendRequest{ID: conv.ID, Text: "one more"}, nil), wire.CodeSupportResolved, "a message after the resolution")
	testkit.Eventually(t, 5*time.Second, func() bool { return len(queued(t, node)) == 0 }, "the queue is empty")

	// The transcript is kept: for the user, the agent and the backend.
	for who, c := range map[string]*centrifuge.Client{"ada": ada, "sam": sam} {
		var tr wire.SupportTranscript
		mustRPC(t, c, wire.MethodSupportTranscript, wire.SupportIDRequest{ID: conv.ID}, &tr)
		if len(tr.Events) != 5 || tr.Events[4].Type != wire.SupportResolved || tr.Names["sam"] != "sam" {
			t.Fatalf("%s's transcript %+v", who, tr)
		}
	}
	var names wire.SupportNamesResult
	mustRPC(t, ada, wire.MethodSupportNames, wire.SupportNamesRequest{Users: []string{"sam", "nobody"}}, &names)
	if len(names.Names) != 1 || names.Names["sam"] != "sam" {
		t.Fatalf("support.names = %+v; want the agent's name only", names)
	}
	var apiTr wire.SupportTranscript
	if status, werr := chatAPI(t, node, "support_transcript", map[string]any{"id": conv.ID}, &apiTr); werr != nil || len(apiTr.Events) != 5 {
		t.Fatalf("support_transcript: %d %+v %+v", status, werr, apiTr)
	}
	var list wire.SupportList
	if _, werr := chatAPI(t, node, "support_list", wire.SupportListRequest{Status: wire.StatusResolved, Agent: "sam"}, &list); werr != nil ||
		len(list.Conversations) != 1 || list.Conversations[0].Note != "cleared the cache" {
		t.Fatalf("support_list: %+v %+v", werr, list)
	}
	if status, werr := chatAPI(t, node, "support_list", map[string]any{"status": "lost"}, nil); status != http.StatusBadRequest {
		t.Fatalf("support_list with a bad status: %d %+v", status, werr)
	}

	// The room's support audit log: who opened, claimed and resolved.
	var hist struct {
		Publications []struct {
			Data wire.AuditEntry `json:"data"`
		} `json:"publications"`
	}
	if status := node.API("history", map[string]any{"channel": wire.SupportAuditChannel(room), "limit": -1}, &hist); status != http.StatusOK {
		t.Fatalf("audit history: %d", status)
	}
	var actions []string
	for _, p := range hist.Publications {
		actions = append(actions, p.Data.Action+":"+p.Data.Actor)
	}
	if got := strings.Join(actions, " "); got != "support.open:ada support.claim:sam support.resolve:sam" {
		t.Fatalf("audit %q", got)
	}
}

func presentUser(clients map[string]centrifuge.ClientInfo, user string) bool {
	for _, c := range clients {
		if c.User == user {
			return true
		}
	}
	return false
}

// The demo signs in agents for the agent console (and nothing else it
// does not know).
func TestDemoTokenMakesAgents(t *testing.T) {
	node := testkit.Start(t, nil)
	token := func(body string) (int, string) {
		res, err := http.Post(node.BaseURL+"/demo/token", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct {
			Token string `json:"token"`
		}
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out.Token
	}
	status, tok := token(`{"name":"Sam","role":"agent"}`)
	if status != http.StatusOK || tok == "" {
		t.Fatalf("agent sign-in: %d", status)
	}
	sam := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: tok})
	mustRPC(t, sam, wire.MethodSupportQueue, struct{}{}, nil)
	_, plain := token(`{"name":"Ada"}`)
	ada := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: plain})
	wantCode(t, rpc(ada, wire.MethodSupportQueue, struct{}{}, nil), wire.CodePermissionDenied, "a plain demo user's support.queue")
	if status, _ := token(`{"name":"Eve","role":"admin"}`); status != http.StatusBadRequest {
		t.Fatalf("an unknown role: %d; want 400", status)
	}
	// Its refusals have the body of every other HTTP error.
	r := doHTTP(t, node, httpCall{method: http.MethodPost, path: "/demo/token", raw: []byte(`{"name":"Eve","role":"admin"}`)})
	if r.errCode() != wire.CodeBadRequest || !strings.Contains(string(r.body), `role may only be`) {
		t.Fatalf("an unknown role: %s; want error code %d saying which roles exist", r.body, wire.CodeBadRequest)
	}
}
