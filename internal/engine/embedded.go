package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// serverOptions builds the embedded server's options for a single node, a
// cluster member, a core accepting edges, or an edge.
func (e *Engine) serverOptions() (*server.Options, error) {
	c := e.cfg
	opts := &server.Options{
		ServerName: c.NodeName,
		NoSigs:     true,
		SyncAlways: c.SyncAlways,
		DontListen: true,
	}
	if c.Edge == "" {
		storeDir := filepath.Join(c.DataDir, "jetstream")
		if err := os.MkdirAll(storeDir, 0o700); err != nil {
			return nil, fmt.Errorf("engine: create store dir %s: %w", storeDir, err)
		}
		opts.JetStream = true
		opts.StoreDir = storeDir
		opts.JetStreamDomain = c.Domain
		opts.JetStreamMaxStore = c.MaxStorageBytes
		opts.JetStreamMaxMemory = c.MaxMemoryBytes
	} else {
		u, err := url.Parse(c.Edge)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("engine: edge URL %q: want nats-leaf://host:port", c.Edge)
		}
		opts.LeafNode.Remotes = []*server.RemoteLeafOpts{{URLs: []*url.URL{u}}}
	}
	if c.ClusterListen != "" {
		host, port, err := splitHostPort(c.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("engine: cluster listen address: %w", err)
		}
		name := c.ClusterName
		if name == "" {
			name = "liveroom"
		}
		opts.Cluster = server.ClusterOpts{Name: name, Host: host, Port: port, Advertise: c.Advertise, NoAdvertise: c.NoAdvertise}
		for _, r := range c.Routes {
			u, err := url.Parse(r)
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("engine: route %q: want nats-route://host:port", r)
			}
			opts.Routes = append(opts.Routes, u)
		}
		// An embedded server without a client listener never starts its
		// routes; open one on loopback (any port). liveroom itself still
		// connects in-process.
		opts.DontListen = false
		opts.Host = "127.0.0.1"
		opts.Port = server.RANDOM_PORT
	}
	if c.ClusterListen != "" || c.LeafListen != "" || c.Edge != "" {
		// Routes and leaf links that go silent without a close (a
		// partition) must be noticed in seconds, not the minutes of NATS's
		// defaults: they are closed after MaxPingsOut unanswered pings.
		ping := c.PingInterval
		if ping <= 0 {
			ping = DefaultPingInterval
		}
		opts.PingInterval = ping
		opts.MaxPingsOut = maxPingsOut
		opts.Cluster.PingInterval = ping
		opts.Cluster.MaxPingsOut = maxPingsOut
	}
	if c.LeafListen != "" {
		host, port, err := splitHostPort(c.LeafListen)
		if err != nil {
			return nil, fmt.Errorf("engine: leaf listen address: %w", err)
		}
		opts.LeafNode.Host = host
		opts.LeafNode.Port = port
		opts.LeafNode.NoAdvertise = c.NoAdvertise
	}
	return opts, nil
}

// DefaultPingInterval is how often routes and leaf links are pinged when
// Config.PingInterval is zero; maxPingsOut unanswered pings close a link.
const (
	DefaultPingInterval = 5 * time.Second
	maxPingsOut         = 3
)

func splitHostPort(hp string) (string, int, error) {
	host, p, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port in %q", hp)
	}
	return host, port, nil
}

// waitJetStream waits until JetStream answers: at once on a single node; in
// a cluster once a meta leader is elected (the first start of a cluster
// waits for enough nodes); on an edge once the leaf link is up.
func (e *Engine) waitJetStream(ctx context.Context) error {
	var last error
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout(attempt))
		_, err := e.js.AccountInfo(actx)
		cancel()
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("engine: JetStream not available: %w", errors.Join(last, ctx.Err()))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// attemptTimeout bounds one attempt of a start-up request: short at first,
// because a request sent while a cluster elects its meta leader, or a
// create that races the same create from another node, may get no answer
// at all; longer later, for slow machines.
func attemptTimeout(attempt int) time.Duration {
	return min(500*time.Millisecond<<min(attempt, 4), 5*time.Second)
}
