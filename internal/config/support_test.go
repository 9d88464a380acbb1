package config

import (
	"strings"
	"testing"
)

func TestSupportNeedsItsNamespaces(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"clients publish to conversations", func(c *Config) { setNS(c, "support", func(n *NamespaceConfig) { n.Publish = PublishSubscriber }) },
			`namespace "support": namespaces.publish = "subscriber": support chat writes these channels itself`},
		{"transcripts age out", func(c *Config) { setNS(c, "support", func(n *NamespaceConfig) { n.HistoryTTL = Duration(3600e9) }) },
			`namespace "support": namespaces.history_ttl = "1h": transcripts are kept`},
		{"history shorter than a conversation", func(c *Config) { c.Support.MaxEvents = 1000 },
			`namespace "support": namespaces.history_size = 1000: must be more than support.max_events (1000)`},
		{"no queue history", func(c *Config) {
			setNS(c, "supportq", func(n *NamespaceConfig) { n.HistorySize, n.HistoryTTL, n.Recovery = 0, 0, false })
		},
			`namespace "supportq": namespaces.history_size = 0: support chat keeps its events there`},
		{"typing removed", func(c *Config) {
			var keep []NamespaceConfig
			for _, n := range c.Namespaces {
				if n.Name != "supporttyping" {
					keep = append(keep, n)
				}
			}
			c.Namespaces = keep
		}, `support chat needs namespace "supporttyping"`},
		{"audit not append-only", func(c *Config) {
			c.Chat.Enabled = false
			setNS(c, "audit", func(n *NamespaceConfig) { n.AppendOnly = false })
		}, `namespace "audit": namespaces.append_only = false: the support audit log must be append-only`},
		{"too many recent messages", func(c *Config) { c.Support.RecentMessages = 51 }, "support.recent_messages = 51: must be 0 to 50"},
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
	c.Support.Enabled = false
	c.Namespaces = c.Namespaces[:len(c.Namespaces)-3]
	if err := c.Validate(); err != nil {
		t.Fatalf("support off without its namespaces: %v", err)
	}
}
