package config

import (
	"strings"
	"testing"
)

func TestChatNeedsItsNamespaces(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"audit not append-only", func(c *Config) { setNS(c, "audit", func(n *NamespaceConfig) { n.AppendOnly = false }) },
			`namespace "audit": namespaces.append_only = false: the chat's audit log must be append-only`},
		{"clients publish to chat", func(c *Config) { setNS(c, "chat", func(n *NamespaceConfig) { n.Publish = PublishAuthenticated }) },
			`namespace "chat": namespaces.publish = "authenticated": the chat writes these channels itself`},
		{"no history for chatmod", func(c *Config) {
			setNS(c, "chatmod", func(n *NamespaceConfig) { n.HistorySize, n.Recovery = 0, false })
		}, `namespace "chatmod": namespaces.history_size = 0: the chat keeps its events there`},
		{"typing removed", func(c *Config) {
			var keep []NamespaceConfig
			for _, n := range c.Namespaces {
				if n.Name != "typing" {
					keep = append(keep, n)
				}
			}
			c.Namespaces = keep
		}, `the chat needs namespace "typing"`},
		{"flapping thresholds", func(c *Config) { c.Chat.AutoSlowOffRate = c.Chat.AutoSlowOnRate },
			"chat.auto_slow_off_rate = 5: must be 0 or more and less than chat.auto_slow_on_rate"},
		{"empty term", func(c *Config) { c.Chat.BlockedTerms = []string{" "} }, `chat.blocked_terms = " ": terms are 1 to 64 characters`},
		{"append-only without history", func(c *Config) {
			c.Namespaces = append(c.Namespaces, NamespaceConfig{Name: "log", Subscribe: SubscribeToken, Publish: PublishNone, MaxPublicationBytes: KiB, AppendOnly: true})
		}, `namespace "log": namespaces.append_only = true: needs history`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.change(c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v; want an error containing %q", err, tc.want)
			}
		})
	}
	c := Default()
	c.Chat.Enabled = false
	c.Support.Enabled = false
	c.Namespaces = c.Namespaces[:4]
	if err := c.Validate(); err != nil {
		t.Fatalf("chat off without its namespaces: %v", err)
	}
}

func setNS(c *Config, name string, fn func(*NamespaceConfig)) {
	for i := range c.Namespaces {
		if c.Namespaces[i].Name == name {
			fn(&c.Namespaces[i])
		}
	}
}
