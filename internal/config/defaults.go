package config

import (
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"
)

// Default returns the built-in configuration: a single node on
// 127.0.0.1:8080 with an embedded NATS server under ./data, demo on, and the
// built-in namespaces. It is what Load starts from. NodeName is empty (Load
// fills in the host name).
func Default() *Config {
	return &Config{
		Addr:      "127.0.0.1:8080",
		DataDir:   "./data",
		LogLevel:  "info",
		LogFormat: "text",
		Auth: AuthConfig{
			ExpiryGrace:   Duration(30 * time.Second),
			MaxTokenBytes: 8 * KiB,
		},
		Client: ClientConfig{
			PingInterval:          Duration(25 * time.Second),
			PongTimeout:           Duration(8 * time.Second),
			ConnectTimeout:        Duration(10 * time.Second),
			MaxMessageBytes:       64 * KiB,
			QueueMaxBytes:         1 * MiB,
			WriteTimeout:          Duration(10 * time.Second),
			ChannelLinger:         Duration(10 * time.Second),
			MaxSubscriptions:      128,
			CommandsPerSecond:     100,
			CommandsBurst:         200,
			MaxConnectionsPerUser: 100,
			MaxConnectionsPerIP:   1000,
			AcceptRate:            2000,
			AcceptBurst:           4000,
			HandshakeTimeout:      Duration(10 * time.Second),
			MaxHeaderBytes:        64 * KiB,
			FrameTimeout:          Duration(10 * time.Second),
			SSE:                   true,
			HTTPStream:            true,
			Compression:           true,
			CompressionMinBytes:   128,
		},
		Presence: PresenceConfig{
			TTL:     Duration(60 * time.Second),
			MaxList: 1000,
		},
		Chat:    defaultChat(),
		Support: defaultSupport(),
		Shutdown: ShutdownConfig{
			DrainWindow: Duration(5 * time.Second),
			Timeout:     Duration(15 * time.Second),
		},
		Cluster:    ClusterConfig{Name: "liveroom", PingInterval: Duration(5 * time.Second), NodeTimeout: Duration(10 * time.Second)},
		Web:        defaultWeb(),
		Accounts:   defaultAccounts(),
		Namespaces: builtinNamespaces(),
	}
}

// DemoEnabled reports whether the demo site and POST /demo/token are on:
// the value of demo when it was set (by flag, environment or file),
// otherwise whether Addr is a loopback address.
func (c *Config) DemoEnabled() bool {
	if c.Demo != nil {
		return *c.Demo
	}
	return c.Loopback()
}

// DemoExplicit reports whether demo was set by flag, environment or file
// rather than derived from Addr.
func (c *Config) DemoExplicit() bool { return c.Demo != nil }

// Loopback reports whether Addr only accepts connections from this machine:
// its host is "localhost" or a loopback IP (127.0.0.0/8, ::1). An empty
// host (":8080"), an unspecified address (0.0.0.0, ::) and any other name
// count as non-loopback.
func (c *Config) Loopback() bool { return isLoopback(c.Addr) }

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return ip.Unmap().IsLoopback()
}

// SlogLevel returns LogLevel as a slog.Level (info for an unknown level,
// which Validate refuses).
func (c *Config) SlogLevel() slog.Level {
	switch c.LogLevel {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
