package main

import (
	"strings"
	"time"

	"github.com/centrifugal/centrifuge"
)

// namespace mirrors one of liveroom's built-in namespaces, as far as the
// centrifuge library can express it.
type namespace struct {
	// historySize and historyTTL: publications kept per channel; 0 = none.
	historySize int
	historyTTL  time.Duration
	// recovery forces recovery (and so positioning) on every subscription,
	// whatever the client asked.
	recovery bool
	// presence and joinLeave: presence is kept, and every subscriber gets
	// join and leave pushes (liveroom pushes them to all subscribers).
	presence  bool
	joinLeave bool
	// personal: only the user named after ':' may subscribe.
	personal bool
	// clientPublish: authenticated users may publish from a connection.
	clientPublish bool
}

// namespaces are liveroom's built-in namespaces (docs/configuration.md).
// The default namespace (channels without ':') needs subscription tokens in
// liveroom; the peer has no subscription tokens, so it is closed here.
var namespaces = map[string]namespace{
	"room": {
		historySize: 1000, historyTTL: 24 * time.Hour, recovery: true,
		presence: true, joinLeave: true, clientPublish: true,
	},
	"personal": {historySize: 100, historyTTL: 24 * time.Hour, recovery: true, personal: true},
	// liveroom limits reactions to 10/s per connection; the peer does not.
	"reactions": {clientPublish: true},
	// feed is not built into liveroom: the load tool's comparison script
	// configures it there the same way (history and recovery, no presence,
	// no join/leave) for the reconnect storm, where join and leave pushes
	// to every subscriber would grow with the square of the subscribers.
	"feed": {historySize: 1000, historyTTL: 24 * time.Hour, recovery: true, clientPublish: true},
}

// lookup returns the namespace of channel and the part after ':'.
func lookup(channel string) (ns namespace, rest string, ok bool) {
	name, rest, found := strings.Cut(channel, ":")
	if !found || rest == "" {
		return namespace{}, "", false
	}
	ns, ok = namespaces[name]
	return ns, rest, ok
}

// subscribeOptions are the library's options for a subscription in ns.
func (ns namespace) subscribeOptions() centrifuge.SubscribeOptions {
	return centrifuge.SubscribeOptions{
		EnableRecovery: ns.recovery,
		EmitPresence:   ns.presence,
		EmitJoinLeave:  ns.joinLeave,
		PushJoinLeave:  ns.joinLeave,
	}
}

// publishOptions are the library's options for a publication in ns.
func (ns namespace) publishOptions(info *centrifuge.ClientInfo) centrifuge.PublishOptions {
	return centrifuge.PublishOptions{HistorySize: ns.historySize, HistoryTTL: ns.historyTTL, ClientInfo: info}
}

// checkSubscribe applies the namespace's subscribe rule for user, with the
// token's explicit channel list (nil when the token had none).
func checkSubscribe(channel, user string, allowed map[string]bool) (namespace, error) {
	ns, rest, ok := lookup(channel)
	switch {
	case !ok:
		return namespace{}, centrifuge.ErrorUnknownChannel
	case allowed != nil && !allowed[channel]:
		return namespace{}, centrifuge.ErrorPermissionDenied
	case user == "":
		return namespace{}, centrifuge.ErrorPermissionDenied
	case ns.personal && rest != user:
		return namespace{}, centrifuge.ErrorPermissionDenied
	}
	return ns, nil
}

// checkPublish applies the namespace's client publish rule.
func checkPublish(channel, user string, allowed map[string]bool) (namespace, error) {
	ns, _, ok := lookup(channel)
	switch {
	case !ok:
		return namespace{}, centrifuge.ErrorUnknownChannel
	case allowed != nil && !allowed[channel]:
		return namespace{}, centrifuge.ErrorPermissionDenied
	case !ns.clientPublish || user == "":
		return namespace{}, centrifuge.ErrorPermissionDenied
	}
	return ns, nil
}
