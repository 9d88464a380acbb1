package websocket

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/transport/connlimit"
	"github.com/liveroom-dev/liveroom/wire"
)

// handshakeWriteTimeout bounds writing the 101 response.
const handshakeWriteTimeout = 5 * time.Second

// ServeHTTP upgrades r to a WebSocket connection (RFC 6455 §4.2) and hands
// the socket to the poller. Refusals are plain text: 405 for a method other
// than GET, 426 with Sec-WebSocket-Version: 13 for another version, 403 when
// CheckOrigin refuses, 400 for any other malformed upgrade, 503 before Start
// or after Shutdown, 500 for a TLS connection (terminate TLS in front: the
// poller needs the plain TCP socket) or one that cannot be hijacked.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	running := s.state == serverRunning
	s.mu.Unlock()
	if !running {
		s.refuse(w, refuse(http.StatusServiceUnavailable, "server is not accepting websocket connections"))
		return
	}
	u, herr := parseUpgrade(r)
	u.deflate = u.deflate && s.cfg.Compression
	if herr != nil {
		switch herr.status {
		case http.StatusUpgradeRequired:
			w.Header().Set("Sec-WebSocket-Version", "13")
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", http.MethodGet)
		}
		s.refuse(w, herr)
		return
	}
	if !s.cfg.CheckOrigin(r) {
		s.refuse(w, refuse(http.StatusForbidden, "origin not allowed"))
		return
	}
	if r.TLS != nil {
		s.refuse(w, refuse(http.StatusInternalServerError, "websocket transport needs plain TCP: terminate TLS in front"))
		return
	}
	// The place taken here is given back by unregister, or below when the
	// connection never gets that far.
	if !s.limit.Take() {
		w.Header().Set("Retry-After", "5")
		// Not kept alive: an idle refused client would hold a place in
		// the listener's count, the room left for plain HTTP requests.
		w.Header().Set("Connection", "close")
		s.refuse(w, refuse(http.StatusServiceUnavailable, "server is at its connection limit; retry later"))
		return
	}
	netConn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		s.limit.Release()
		s.refuse(w, refuse(http.StatusInternalServerError, "connection cannot be upgraded"))
		return
	}
	// A socket counted by the HTTP listener keeps its place there until
	// the connection ends, although the poller closes netConn once it has
	// a duplicate of its descriptor.
	var tcpPlace *connlimit.Place
	if lc, ok := netConn.(*connlimit.Conn); ok {
		tcpPlace = lc.Keep()
	}
	var early []byte // bytes the client sent after its request, already read
	if n := brw.Reader.Buffered(); n > 0 {
		p, _ := brw.Reader.Peek(n)
		early = append([]byte(nil), p...)
	}
	if err := writeSwitching(netConn, u); err != nil {
		s.limit.Release()
		tcpPlace.Release()
		_ = netConn.Close()
		s.stats.rejected.Add(1)
		s.log.Debug("websocket: writing 101 failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	s.startConn(netConn, u, early, r, tcpPlace)
}

func writeSwitching(nc net.Conn, u upgrade) error {
	var buf [512]byte
	if err := nc.SetWriteDeadline(time.Now().Add(handshakeWriteTimeout)); err != nil {
		return fmt.Errorf("set deadline: %w", err)
	}
	if _, err := nc.Write(appendSwitchingProtocols(buf[:0], u)); err != nil {
		return fmt.Errorf("write 101: %w", err)
	}
	return nc.SetWriteDeadline(time.Time{})
}

// startConn registers the upgraded socket with the poller, feeds the early
// bytes to the decoder before anything the poller reads, then asks the hub
// to accept the connection.
func (s *Server) startConn(netConn net.Conn, u upgrade, early []byte, r *http.Request, tcpPlace *connlimit.Place) {
	c := &conn{srv: s, proto: u.proto, dataOp: opText, deflate: u.deflate, tcpPlace: tcpPlace}
	if u.proto != protocol.TypeJSON {
		c.dataOp = opBinary
	}
	c.dec = newDecoder(s.cfg.MaxMessageSize, c.dataOp, c.deflate)
	// The request's RemoteAddr: the client behind a trusted proxy when the
	// server's handlers put it there, else the TCP peer.
	if a, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		c.remote = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	} else if a, ok := netConn.RemoteAddr().(*net.TCPAddr); ok {
		c.remote = a.AddrPort()
	}
	if !s.register(c) {
		s.limit.Release()
		tcpPlace.Release()
		_ = netConn.Close()
		return
	}
	defer s.inflight.Done()
	// rmu is held until the early bytes are fed, so the poller's first
	// OnData waits for them (and sees c.sock set).
	c.rmu.Lock()
	sock, err := s.poller.Add(netConn, c) // takes the descriptor, closes netConn
	if err != nil {
		c.rmu.Unlock()
		s.unregister(c)
		s.refuseTaken(netConn, c.remote, err)
		return
	}
	c.sock = sock
	s.stats.accepted.Add(1)
	if len(early) > 0 {
		c.feedLocked(early)
	}
	c.rmu.Unlock()

	sess, err := s.accept(c, hub.ConnInfo{
		Transport:  c.Name(),
		Protocol:   c.proto,
		RemoteAddr: c.remote,
		Header:     r.Header,
	})
	if err != nil {
		c.Close(refusalDisconnect(err))
		s.log.Debug("websocket: connection refused by the hub", "remote", c.remote, "err", err)
		return
	}
	c.setSession(sess)
}

// accept calls the Acceptor, turning a panic into an error.
func (s *Server) accept(c *conn, info hub.ConnInfo) (sess hub.Session, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("websocket: panic in Acceptor.Accept", "remote", c.remote, "panic", fmt.Sprint(r))
			sess, err = nil, fmt.Errorf("websocket: accept panicked: %v", r)
		}
	}()
	sess, err = s.acc.Accept(c, info)
	if err == nil && sess == nil {
		err = errors.New("websocket: Accept returned no session")
	}
	return sess, err
}

// refusalDisconnect is the close code for a connection the hub refused: the
// code it gave in a *hub.DisconnectError, else 3004 (with a *wire.Error's
// message as the reason).
func refusalDisconnect(err error) wire.Disconnect {
	var de *hub.DisconnectError
	if errors.As(err, &de) {
		return de.Disconnect
	}
	d := wire.DisconnectServerError
	var we *wire.Error
	if errors.As(err, &we) {
		d.Reason = we.Message
	}
	return d
}

// refuse answers an upgrade request with a plain-text error.
func (s *Server) refuse(w http.ResponseWriter, e *handshakeError) {
	s.stats.rejected.Add(1)
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.status)
	_, _ = w.Write([]byte(e.msg + "\n"))
}

var _ hub.Transport = (*conn)(nil)

// refuseTaken ends an upgraded connection the poller could not take (at
// the descriptor limit, or during Shutdown): the client gets close code
// 1013 (try again later, RFC 6455 §7.4.1 and the IANA registry) when the
// socket is still open, instead of a silent EOF after its 101. The log
// line comes at most once a second: a fleet reconnecting at a full
// descriptor table would otherwise write one per attempt.
func (s *Server) refuseTaken(netConn net.Conn, remote netip.AddrPort, err error) {
	s.stats.rejected.Add(1)
	var buf [maxControlPayload + maxServerHeader]byte
	frame := appendFrame(buf[:0], opClose, appendClosePayload(nil, closeTryAgainLater, "server cannot take more connections now; retry later"))
	_ = netConn.SetWriteDeadline(time.Now().Add(handshakeWriteTimeout))
	_, _ = netConn.Write(frame) // fails harmlessly when the poller closed it
	_ = netConn.Close()
	now := time.Now().UnixNano()
	if last := s.lastTakeLog.Load(); now-last >= int64(time.Second) && s.lastTakeLog.CompareAndSwap(last, now) {
		s.log.Error("websocket: cannot hand the socket to the poller; refused with 1013", "remote", remote, "err", err,
			"handshakes_rejected_so_far", s.stats.rejected.Load())
	}
}
