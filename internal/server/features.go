package server

import (
	"context"
	"strings"

	"github.com/liveroom-dev/liveroom/internal/api"
	"github.com/liveroom-dev/liveroom/internal/chat"
	chatmodule "github.com/liveroom-dev/liveroom/internal/chat/module"
	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// Features are wired here, in one visible place (design D4): each gets the
// hub, registers its RPC methods and guards, and its server API methods.

// startFeatures builds and starts the features the configuration turns on.
func (s *Server) startFeatures() {
	if s.cfg.Chat.Enabled {
		s.chat = chatmodule.New(chatmodule.Config{Chat: chatConfig(s.cfg.Chat), SnapshotEvery: snapshotEvery(s.cfg), Logger: s.log}, s.hub)
		s.chat.Register()
		s.chat.Start()
	}
	s.startSupport()
	// The audit namespace holds the logs of every feature; its guard sends
	// each channel to the feature it belongs to and refuses the rest to
	// clients.
	s.hub.GuardNamespace("audit", func(ctx context.Context, a hub.Access) *wire.Error {
		_, rest, _ := strings.Cut(a.Channel, ":")
		if s.chat != nil && strings.HasPrefix(rest, "chat.") {
			return s.chat.GuardAudit(ctx, a)
		}
		if s.support != nil && strings.HasPrefix(rest, "support.") {
			return s.support.GuardAudit(ctx, a)
		}
		if a.Server && a.Op != hub.AccessPublish {
			return nil
		}
		return wire.Errorf(wire.CodePermissionDenied, false, "audit logs are written by features and read by their moderators")
	})
}

// stopFeatures stops what startFeatures started.
func (s *Server) stopFeatures() {
	if s.chat != nil {
		s.chat.Stop()
	}
}

func (s *Server) registerFeatureAPI(a *api.Handler) {
	if s.support != nil {
		for name, m := range s.support.APIMethods() {
			a.Register(name, api.Method(m))
		}
	}
	if s.chat == nil {
		return
	}
	for name, m := range s.chat.APIMethods() {
		a.Register(name, api.Method(m))
	}
}

// snapshotEvery snapshots a chat stream at least four times per history
// window, so a room's snapshot is always inside what history keeps.
func snapshotEvery(cfg *config.Config) int {
	n := 200
	for _, name := range []string{"chat", "chatmod"} {
		if ns, ok := cfg.Namespace(name); ok && ns.HistorySize/4 < n {
			n = max(ns.HistorySize/4, 1)
		}
	}
	return n
}

// chatConfig maps the [chat] table onto the state machine's limits.
func chatConfig(c config.ChatConfig) chat.Config {
	cfg := chat.DefaultConfig()
	cfg.MaxChars = c.MaxChars
	cfg.RateMessages = c.RateMessages
	cfg.RateWindow = c.RateWindow.Duration()
	cfg.EditWindow = c.EditWindow.Duration()
	cfg.RepeatWindow = c.RepeatWindow.Duration()
	cfg.MaxMentions = c.MaxMentions
	cfg.NewUserMessages = c.NewUserMessages
	cfg.AutoSlowOnRate = float64(c.AutoSlowOnRate)
	cfg.AutoSlowOffRate = float64(c.AutoSlowOffRate)
	cfg.Defaults = wire.ChatSettings{AutoSlow: c.AutoSlowSeconds > 0, AutoSlowSeconds: c.AutoSlowSeconds, Links: c.Links}
	for action, list := range map[string][]string{wire.TermBlock: c.BlockedTerms, wire.TermHold: c.HeldTerms, wire.TermMask: c.MaskedTerms} {
		for _, t := range list {
			cfg.Terms = append(cfg.Terms, wire.ChatTerm{Term: t, Action: action})
		}
	}
	if terms, err := chat.CleanTerms(cfg.Terms); err == nil {
		cfg.Terms = terms
	}
	if cfg.MaxMentions == 0 {
		cfg.MentionLimit = 0
	}
	return cfg
}
