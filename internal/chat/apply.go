package chat

import (
	"sort"

	"github.com/liveroom-dev/liveroom/wire"
)

// Apply folds one stored event of a stream into the state. offset is the
// event's offset in its channel. Unknown event types are ignored, so a
// newer server's events do not break an older one.
func (r *Room) Apply(s Stream, offset uint64, ev wire.ChatEvent) {
	if s == Private {
		r.applyPrivate(ev)
		return
	}
	r.applyPublic(offset, ev)
}

func (r *Room) applyPublic(offset uint64, ev wire.ChatEvent) {
	p, cfg := r.Pub, r.cfg
	switch ev.Type {
	case wire.EventMessage:
		m := &Msg{ID: ev.ID, User: ev.User, Text: ev.Text, At: ev.At, Offset: offset, ReplyTo: ev.ReplyTo}
		p.Messages = append(p.Messages, m)
		if over := len(p.Messages) - cfg.KeepMessages; over > 0 {
			p.Messages = append([]*Msg(nil), p.Messages[over:]...)
		}
		if ev.Held == "" { // an approved message counted when it was held
			r.noteMessage(p.Users, ev)
		}
		if n, ok := p.Known[ev.User]; ok || len(p.Known) < cfg.MaxKnownUsers {
			if n < cfg.NewUserMessages {
				p.Known[ev.User] = n + 1
			}
		}
		p.Rate = addSecond(p.Rate, ev.At/1000, ev.At/1000-int64(cfg.AutoSlowCalmWindow.Seconds()))
		if ev.CID != "" {
			r.remember(p.Users, ev.User, SentRecord{CID: ev.CID, ID: ev.ID, Status: wire.StatusPublished, Offset: offset, At: ev.At, Text: ev.Text})
		}
		if ev.Held != "" {
			p.Released[ev.Held] = ev.At
			pruneOldest(p.Released, 2*cfg.MaxHeld)
		}
		r.prunePublic(ev.At)
	case wire.EventEdit:
		if m := p.msg(ev.ID); m != nil {
			m.Text, m.Edited = ev.Text, ev.At
		}
		if p.Pinned != nil && p.Pinned.ID == ev.ID {
			// The pin's copy follows the message (decision 0027): the
			// text the edit replaced is not served from the room's state.
			pin := *p.Pinned
			pin.Text, pin.Masked, pin.Mentions, pin.Edited = ev.Text, ev.Masked, Mentions(ev.Text), true
			p.Pinned = &pin
		}
		r.activity(p.Users, ev.User).Sends = append(r.activity(p.Users, ev.User).Sends, ev.At)
	case wire.EventDelete:
		if m := p.msg(ev.ID); m != nil {
			m.Deleted, m.Text, m.Reactions = true, "", nil
		} else {
			p.noteDeletedOld(ev.ID)
		}
		if p.Pinned != nil && p.Pinned.ID == ev.ID {
			p.Pinned = nil
		}
	case wire.EventReact, wire.EventUnreact:
		if m := p.msg(ev.ID); m != nil {
			m.Reactions = setReaction(m.Reactions, ev.Emoji, ev.User, ev.Type == wire.EventReact)
		}
		if ev.Type == wire.EventReact {
			a := r.activity(p.Users, ev.User)
			a.Reacts = append(a.Reacts, ev.At)
		}
	case wire.EventPin:
		p.Pinned = ev.Message
	case wire.EventUnpin:
		p.Pinned = nil
	case wire.EventClear:
		p.Messages, p.Pinned = nil, nil
	case wire.EventSettings:
		if ev.Settings != nil {
			p.Settings = *ev.Settings
			if !p.Settings.AutoSlow {
				p.AutoOn, p.AutoSince = false, 0
			}
		}
	case wire.EventSlowAuto:
		p.AutoOn = ev.On
		p.AutoSince = 0
		if ev.On {
			p.AutoSince = ev.At
		}
	case wire.EventRole:
		if ev.On {
			p.Roles[ev.User] = ev.Role
		} else if p.Roles[ev.User] == ev.Role {
			delete(p.Roles, ev.User)
		}
	case wire.EventTimeout:
		p.Timeouts[ev.User] = ev.Until
	case wire.EventUntimeout:
		delete(p.Timeouts, ev.User)
	case wire.EventBan:
		p.Bans[ev.User] = ev.At
		delete(p.Timeouts, ev.User)
	case wire.EventUnban:
		delete(p.Bans, ev.User)
	}
}

func (r *Room) applyPrivate(ev wire.ChatEvent) {
	p, cfg := r.Priv, r.cfg
	switch ev.Type {
	case wire.EventHeld, wire.EventShadow:
		r.noteMessage(p.Users, ev)
		status := wire.StatusPublished // a shadow-banned user is told it was published
		if ev.Type == wire.EventHeld {
			status = wire.StatusHeld
			reason := ev.Reason
			held := ev
			held.Reason = ""
			p.Held = append(p.Held, &HeldMsg{Event: held, Reason: reason})
			if over := len(p.Held) - cfg.MaxHeld; over > 0 {
				p.Held = append([]*HeldMsg(nil), p.Held[over:]...)
			}
		}
		if ev.CID != "" {
			r.remember(p.Users, ev.User, SentRecord{CID: ev.CID, ID: ev.ID, Status: status, At: ev.At, Text: ev.Text})
		}
		r.prunePrivate(ev.At)
	case wire.EventRejected:
		for i, h := range p.Held {
			if h.Event.ID == ev.ID {
				p.Held = append(p.Held[:i:i], p.Held[i+1:]...)
				break
			}
		}
	case wire.EventShadowBan:
		if ev.On {
			p.Shadow[ev.User] = ev.At
		} else {
			delete(p.Shadow, ev.User)
		}
	case wire.EventReport:
		if ev.Report != nil {
			r.addReport(*ev.Report, ev.At)
			a := r.activity(p.Users, ev.Report.Reporter)
			a.Reports = append(a.Reports, ev.At)
		}
		r.prunePrivate(ev.At)
	case wire.EventResolved:
		delete(p.Reports, ev.Target)
	case wire.EventFilter:
		p.Terms = append([]wire.ChatTerm(nil), ev.Terms...)
	}
}

func (r *Room) addReport(rep wire.ChatReport, at int64) {
	p := r.Priv
	g := p.Reports[rep.Target]
	if g == nil {
		if len(p.Reports) >= r.cfg.MaxReportGroups {
			delete(p.Reports, p.evictee())
		}
		g = &ReportGroup{Target: rep.Target, User: rep.User, Message: rep.Message, Text: rep.Text, First: at}
		p.Reports[rep.Target] = g
	}
	for _, have := range g.Reports {
		if have.Reporter == rep.Reporter {
			return
		}
	}
	g.Reports = append(g.Reports, rep)
	g.Last = at
}

// noteMessage records a message in its author's activity.
func (r *Room) noteMessage(users map[string]*Activity, ev wire.ChatEvent) {
	a := r.activity(users, ev.User)
	a.Sends = append(a.Sends, ev.At)
	a.Last = ev.At
	a.Texts = append(a.Texts, TextStamp{Key: repeatKey(ev.Text), At: ev.At})
	for range ev.Mentions {
		a.Mentions = append(a.Mentions, ev.At)
	}
}

func (r *Room) activity(users map[string]*Activity, user string) *Activity {
	a := users[user]
	if a == nil {
		a = &Activity{}
		users[user] = a
	}
	return a
}

// maxSentRecords is how many recent sends per user answer retries.
const maxSentRecords = 4

func (r *Room) remember(users map[string]*Activity, user string, rec SentRecord) {
	a := r.activity(users, user)
	a.Sent = append(a.Sent, rec)
	if over := len(a.Sent) - maxSentRecords; over > 0 {
		a.Sent = append([]SentRecord(nil), a.Sent[over:]...)
	}
}

// pruneEvery is how often (event time) expired activity is dropped.
const pruneEvery = 1000 // ms

// prunePublic drops what no decision at or after now can use: activity
// outside every window and expired timeouts. It runs at most once per
// second of event time, so a busy room does not pay for it per message.
func (r *Room) prunePublic(now int64) {
	p := r.Pub
	if now-p.Pruned < pruneEvery {
		return
	}
	p.Pruned = now
	pruneUsers(p.Users, r.cfg, now)
	for u, until := range p.Timeouts {
		if until <= now {
			delete(p.Timeouts, u)
		}
	}
}

func (r *Room) prunePrivate(now int64) {
	if now-r.Priv.Pruned < pruneEvery {
		return
	}
	r.Priv.Pruned = now
	pruneUsers(r.Priv.Users, r.cfg, now)
}

func pruneUsers(users map[string]*Activity, cfg *Config, now int64) {
	for u, a := range users {
		a.Sends = since(a.Sends, now-cfg.RateWindow.Milliseconds())
		a.Mentions = since(a.Mentions, now-cfg.MentionWindow.Milliseconds())
		a.Reacts = since(a.Reacts, now-cfg.ReactWindow.Milliseconds())
		a.Reports = since(a.Reports, now-cfg.ReportWindow.Milliseconds())
		cut := now - cfg.RepeatWindow.Milliseconds()
		i := 0
		for i < len(a.Texts) && a.Texts[i].At <= cut {
			i++
		}
		a.Texts = a.Texts[i:]
		dedupe := now - cfg.DedupeWindow.Milliseconds()
		i = 0
		for i < len(a.Sent) && a.Sent[i].At <= dedupe {
			i++
		}
		a.Sent = a.Sent[i:]
		if len(a.Sends) == 0 && len(a.Mentions) == 0 && len(a.Reacts) == 0 && len(a.Reports) == 0 && len(a.Texts) == 0 &&
			len(a.Sent) == 0 && now-a.Last > int64(MaxSlowMode)*1000 {
			delete(users, u)
		}
	}
}

func since(ts []int64, cut int64) []int64 {
	i := 0
	for i < len(ts) && ts[i] <= cut {
		i++
	}
	if i == 0 {
		return ts
	}
	return append([]int64(nil), ts[i:]...)
}

// pruneOldest keeps the max newest entries of an id → time map.
func pruneOldest(m map[string]int64, max int) {
	if len(m) <= max {
		return
	}
	type kv struct {
		k string
		v int64
	}
	all := make([]kv, 0, len(m))
	for k, v := range m {
		all = append(all, kv{k, v})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v || all[i].v == all[j].v && all[i].k < all[j].k })
	for _, e := range all[:len(all)-max] {
		delete(m, e.k)
	}
}

func addSecond(rate []SecondCount, sec, cut int64) []SecondCount {
	if n := len(rate); n > 0 && rate[n-1].Sec == sec {
		rate[n-1].N++
	} else {
		rate = append(rate, SecondCount{Sec: sec, N: 1})
	}
	i := 0
	for i < len(rate) && rate[i].Sec <= cut {
		i++
	}
	return rate[i:]
}

func setReaction(m map[string][]string, emoji, user string, on bool) map[string][]string {
	users := m[emoji]
	idx := -1
	for i, u := range users {
		if u == user {
			idx = i
			break
		}
	}
	switch {
	case on && idx < 0:
		if m == nil {
			m = map[string][]string{}
		}
		m[emoji] = append(users, user)
	case !on && idx >= 0:
		users = append(users[:idx:idx], users[idx+1:]...)
		if len(users) == 0 {
			delete(m, emoji)
		} else {
			m[emoji] = users
		}
	}
	return m
}
