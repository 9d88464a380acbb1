package httpstream

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// SSE serves GET /connection/sse?cf_connect=<connect command, JSON>.
// Refusals, before any stream byte: 405 for another method, 400 for a
// missing, repeated or malformed cf_connect (the reason says which), 414
// for one longer than MaxMessageSize, 503 during Shutdown.
func (s *Server) SSE() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			s.refuse(w, refusef(http.StatusMethodNotAllowed, "use GET, with the connect command (JSON) in the cf_connect query parameter"))
			return
		}
		query, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			s.refuse(w, refusef(http.StatusBadRequest, "malformed query string: %v", err))
			return
		}
		values := query["cf_connect"]
		switch {
		case len(values) == 0:
			s.refuse(w, refusef(http.StatusBadRequest, "missing cf_connect query parameter: put the connect command (JSON) in it"))
			return
		case len(values) > 1:
			s.refuse(w, refusef(http.StatusBadRequest, "cf_connect given %d times: give it once", len(values)))
			return
		case len(values[0]) > s.cfg.MaxMessageSize:
			s.refuse(w, refusef(http.StatusRequestURITooLong, "cf_connect of %d bytes is larger than the limit of %d bytes", len(values[0]), s.cfg.MaxMessageSize))
			return
		}
		msg := []byte(values[0])
		if err := checkConnect(protocol.TypeJSON, msg); err != nil {
			s.refuse(w, refusef(http.StatusBadRequest, "cf_connect: %v", err))
			return
		}
		s.open(w, r, kindSSE, protocol.TypeJSON, msg)
	})
}

// HTTPStream serves POST /connection/http_stream, whose body holds the
// connect command: JSON (one command per line), or Protobuf (each command
// prefixed with its varint length) with Content-Type
// application/octet-stream. Refusals, before any stream byte: 405 for
// another method, 413 for a body over MaxMessageSize, 408 for a body not
// received within BodyTimeout, 400 for a malformed body (the reason says
// what is wrong), 503 during Shutdown.
func (s *Server) HTTPStream() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			s.refuse(w, refusef(http.StatusMethodNotAllowed, "use POST, with the connect command in the body"))
			return
		}
		proto := protoOf(r)
		body, rerr := readBody(w, r, int64(s.cfg.MaxMessageSize), s.cfg.BodyTimeout)
		if rerr != nil {
			s.refuse(w, rerr)
			return
		}
		if err := checkConnect(proto, body); err != nil {
			s.refuse(w, refusef(http.StatusBadRequest, "request body: %v", err))
			return
		}
		s.open(w, r, kindStream, proto, body)
	})
}

// open starts a stream: the response headers, the hub's session, the
// connect command, then the write loop until the stream ends.
func (s *Server) open(w http.ResponseWriter, r *http.Request, k kind, proto protocol.Type, first []byte) {
	if !s.cfg.Limit.Take() {
		w.Header().Set("Retry-After", "5")
		w.Header().Set("Connection", "close") // see websocket: no idle refused clients
		s.refuse(w, refusef(http.StatusServiceUnavailable, "server is at its connection limit; retry later"))
		return
	}
	defer s.cfg.Limit.Release()
	c := newConn(s, k, proto, remoteAddr(r))
	if !s.register(c) {
		s.refuse(w, refusef(http.StatusServiceUnavailable, "server is shutting down: connect again (to another node)"))
		return
	}
	defer s.unregister(c)
	s.stats.open.Add(1)
	defer s.stats.open.Add(-1)

	h := w.Header()
	switch {
	case k == kindSSE:
		h.Set("Content-Type", "text/event-stream; charset=utf-8")
	case proto == protocol.TypeJSON:
		h.Set("Content-Type", "application/json")
	default:
		h.Set("Content-Type", "application/octet-stream")
	}
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Accel-Buffering", "no") // tells nginx-like proxies not to buffer the stream
	// net/http lifts the read deadline once the body is read (its background
	// read watches for the client going away); each write sets its own
	// deadline, replacing the server's whole-request WriteTimeout.
	rc := http.NewResponseController(w)
	w.WriteHeader(http.StatusOK)
	_ = rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	if err := rc.Flush(); err != nil {
		s.log.Debug("httpstream: client gone before the stream started", "remote", c.remote, "err", err)
		return
	}
	if k == kindSSE {
		s.stats.sse.Add(1)
	} else {
		s.stats.stream.Add(1)
	}
	sess, err := s.accept(c, hub.ConnInfo{
		Transport:  c.Name(),
		Protocol:   proto,
		RemoteAddr: c.remote,
		Header:     r.Header,
		Emulation:  true,
	})
	if err != nil {
		s.log.Debug("httpstream: stream refused by the hub", "remote", c.remote, "err", err)
		c.Close(refusalDisconnect(err))
		_ = c.run(r.Context(), w)
		return
	}
	if !s.handle(c, sess, first) {
		c.Close(wire.DisconnectServerError)
	}
	cause := c.run(r.Context(), w)
	sess.HandleClosed(cause)
}

// handle hands the first message to the session, turning a panic into
// false.
func (s *Server) handle(c *conn, sess hub.Session, msg []byte) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("httpstream: panic in Session.HandleMessage", "remote", c.remote, "panic", fmt.Sprint(r))
			ok = false
		}
	}()
	sess.HandleMessage(msg)
	return true
}

// Emulation serves POST /emulation: an EmulationRequest carrying commands
// for the stream of session on node. It answers 204 once the commands are
// handed to the connection (replies come on the stream); 404 when no node
// holds the session (the client should reconnect); 503 when the session's
// node cannot be reached now; 405 for another method; 413, 408 and 400 as
// HTTPStream (the reason says what is wrong).
func (s *Server) Emulation() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			s.refuse(w, refusef(http.StatusMethodNotAllowed, "use POST, with an EmulationRequest in the body"))
			return
		}
		proto := protoOf(r)
		body, rerr := readBody(w, r, s.cfg.emulationBodyLimit(), s.cfg.BodyTimeout)
		if rerr != nil {
			s.refuse(w, rerr)
			return
		}
		req, rerr := decodeEmulation(proto, body, s.cfg.MaxMessageSize)
		if rerr != nil {
			s.refuse(w, rerr)
			return
		}
		err := s.emu.Emulate(r.Context(), req.node, req.session, req.data)
		switch {
		case err == nil:
			s.stats.emulated.Add(1)
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusNoContent)
		case errors.Is(err, hub.ErrSessionNotFound):
			s.stats.emuMissing.Add(1)
			s.refuse(w, refusef(http.StatusNotFound, "session not found: its connection has ended or its node restarted; connect again"))
		default:
			s.log.Warn("httpstream: emulation request not delivered", "node", req.node, "err", err)
			w.Header().Set("Retry-After", "1")
			s.refuse(w, refusef(http.StatusServiceUnavailable, "cannot reach the session's node %q now; connect again", req.node))
		}
	})
}
