package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/centrifugal/centrifuge"
)

// pingInterval is liveroom's client.ping_interval (also the library's
// default); the pong timeout stays the library's default.
const pingInterval = 25 * time.Second

// peerConfig is what the peer needs to start.
type peerConfig struct {
	tokenSecret string
	apiKey      string
	// queueMaxBytes is the library's ClientQueueMaxSize; 0 keeps its default.
	queueMaxBytes int
	log           *slog.Logger
}

// peer is a centrifuge node with liveroom's namespaces and token format.
type peer struct {
	node    *centrifuge.Node
	verify  *verifier
	apiKey  string
	started time.Time
	log     *slog.Logger
}

// newPeer builds and runs the node (memory broker and presence manager, the
// library's defaults).
func newPeer(cfg peerConfig) (*peer, error) {
	v, err := newVerifier(cfg.tokenSecret)
	if err != nil {
		return nil, err
	}
	if len(cfg.apiKey) < 16 {
		return nil, errors.New("api key must be at least 16 characters")
	}
	p := &peer{verify: v, apiKey: cfg.apiKey, started: time.Now(), log: cfg.log}
	p.node, err = centrifuge.New(centrifuge.Config{
		Name:               "centrifuge-peer",
		LogLevel:           centrifuge.LogLevelError,
		LogHandler:         p.logEntry,
		ClientQueueMaxSize: cfg.queueMaxBytes,
	})
	if err != nil {
		return nil, fmt.Errorf("centrifuge node: %w", err)
	}
	p.node.OnConnecting(p.connecting)
	p.node.OnConnect(p.connected)
	if err := p.node.Run(); err != nil {
		return nil, fmt.Errorf("run centrifuge node: %w", err)
	}
	return p, nil
}

// shutdown disconnects every client and stops the node.
func (p *peer) shutdown(ctx context.Context) error {
	if err := p.node.Shutdown(ctx); err != nil {
		return fmt.Errorf("centrifuge shutdown: %w", err)
	}
	return nil
}

func (p *peer) logEntry(e centrifuge.LogEntry) {
	p.log.Error(e.Message, "fields", e.Fields)
}

// allowedKey keys the token's explicit channel list in a client's context.
type allowedKey struct{}

func allowedFrom(ctx context.Context) map[string]bool {
	m, _ := ctx.Value(allowedKey{}).(map[string]bool)
	return m
}

// connecting verifies the connection token: sub, exp and optional info and
// channels, as liveroom does. Channels in the token are subscribed at
// connect and are then the only channels allowed.
func (p *peer) connecting(ctx context.Context, e centrifuge.ConnectEvent) (centrifuge.ConnectReply, error) {
	if e.Token == "" {
		return centrifuge.ConnectReply{}, centrifuge.ErrorUnauthorized
	}
	c, err := p.verify.verify(e.Token)
	switch {
	case errors.Is(err, errExpired):
		return centrifuge.ConnectReply{}, centrifuge.ErrorTokenExpired
	case err != nil:
		return centrifuge.ConnectReply{}, centrifuge.DisconnectInvalidToken
	}
	allowed := c.allowed()
	var subs map[string]centrifuge.SubscribeOptions
	for _, ch := range c.Channels {
		ns, err := checkSubscribe(ch, c.Subject, allowed)
		if err != nil {
			return centrifuge.ConnectReply{}, err
		}
		if subs == nil {
			subs = make(map[string]centrifuge.SubscribeOptions, len(c.Channels))
		}
		subs[ch] = ns.subscribeOptions()
	}
	return centrifuge.ConnectReply{
		Context:           context.WithValue(ctx, allowedKey{}, allowed),
		Credentials:       &centrifuge.Credentials{UserID: c.Subject, ExpireAt: c.expireAt(), Info: c.Info},
		ClientSideRefresh: true,
		Subscriptions:     subs,
	}, nil
}

// connected installs the per-client handlers.
func (p *peer) connected(client *centrifuge.Client) {
	client.OnSubscribe(func(e centrifuge.SubscribeEvent, cb centrifuge.SubscribeCallback) {
		ns, err := checkSubscribe(e.Channel, client.UserID(), allowedFrom(client.Context()))
		if err != nil {
			cb(centrifuge.SubscribeReply{}, err)
			return
		}
		cb(centrifuge.SubscribeReply{Options: ns.subscribeOptions()}, nil)
	})
	client.OnPublish(func(e centrifuge.PublishEvent, cb centrifuge.PublishCallback) {
		ns, err := checkPublish(e.Channel, client.UserID(), allowedFrom(client.Context()))
		if err != nil {
			cb(centrifuge.PublishReply{}, err)
			return
		}
		cb(centrifuge.PublishReply{Options: ns.publishOptions(e.ClientInfo)}, nil)
	})
	client.OnRefresh(func(e centrifuge.RefreshEvent, cb centrifuge.RefreshCallback) {
		c, err := p.verify.verify(e.Token)
		switch {
		case errors.Is(err, errExpired):
			cb(centrifuge.RefreshReply{Expired: true}, nil)
		case err != nil || c.Subject != client.UserID():
			cb(centrifuge.RefreshReply{}, centrifuge.DisconnectInvalidToken)
		default:
			cb(centrifuge.RefreshReply{ExpireAt: c.expireAt(), Info: c.Info}, nil)
		}
	})
}
