package hub

import "context"

// A connection's presence entry in a channel is one record in the engine,
// keyed by channel and connection id, while the connection may subscribe,
// leave and subscribe again to that channel faster than the writes for
// each subscription reach the engine (a leave is written on its own
// goroutine; a refresh round writes entries it listed seconds earlier).
// So every write of a connection's entries goes through the two methods
// below, which hold presenceMu across the engine call and write only for
// the subscription that owns the entry: the latest subscribe to the
// channel, until its leave. A write for an older subscription is skipped,
// so it can neither bring back the entry of a connection that left nor
// delete the entry of its newer subscription.

// putPresence writes the presence entry of subscription s to channel id.
// With claim (a subscribe), s becomes the entry's owner first. Without it
// (a refresh, a retry) nothing is written unless s owns the entry, or no
// subscription does and s is the connection's current one to the channel
// (it then takes the entry over). It reports whether it wrote.
func (c *Client) putPresence(ctx context.Context, s *subscription, id ChannelID, info []byte, claim bool) (bool, error) {
	c.presenceMu.Lock()
	defer c.presenceMu.Unlock()
	owner, owned := c.presenceOwner.get(id.Name)
	switch {
	case claim:
	case owned && owner != s:
		return false, nil
	case !owned && c.currentSubscription(id.Name) != s:
		return false, nil
	}
	c.presenceOwner.put(id.Name, s)
	return true, c.hub.broker.PresencePut(ctx, id, c.id, c.User(), info)
}

// currentSubscription is c's registered subscription to channel name, or
// nil. A subscription leaves this list before its leave is written, so a
// subscription found here has not begun to leave.
func (c *Client) currentSubscription(name string) *subscription {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, _ := c.subs.get(name)
	return s
}

// abandonPresence is for a subscribe that failed after it claimed the
// entry: when the connection holds another subscription to the channel
// (two subscribes of one connection to one channel raced, and the other
// won), the entry goes back to that one and is written with its data;
// otherwise it is deleted.
func (c *Client) abandonPresence(ctx context.Context, s *subscription, id ChannelID) error {
	c.presenceMu.Lock()
	defer c.presenceMu.Unlock()
	if owner, _ := c.presenceOwner.get(id.Name); owner != s {
		return nil
	}
	if cur := c.currentSubscription(id.Name); cur != nil && cur != s {
		c.presenceOwner.put(id.Name, cur)
		return c.hub.broker.PresencePut(ctx, id, c.id, c.User(), c.clientInfo(cur))
	}
	c.presenceOwner.remove(id.Name)
	return c.hub.broker.PresenceDelete(ctx, id, c.id, c.User())
}

// deletePresence deletes the presence entry of subscription s to channel
// id, if s owns it; a newer subscription's entry is left alone. It reports
// whether it deleted.
func (c *Client) deletePresence(ctx context.Context, s *subscription, id ChannelID) (bool, error) {
	c.presenceMu.Lock()
	defer c.presenceMu.Unlock()
	if owner, _ := c.presenceOwner.get(id.Name); owner != s {
		return false, nil
	}
	c.presenceOwner.remove(id.Name)
	return true, c.hub.broker.PresenceDelete(ctx, id, c.id, c.User())
}
