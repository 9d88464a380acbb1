package contender

import (
	"context"
	"errors"
	"net"
	"net/http"
)

// serveHTTP runs a net/http server with handler h on ln until ctx is done.
// Then it stops accepting, calls closeAll to close the hijacked WebSocket
// connections (net/http no longer tracks them), and calls wait, which
// returns once the per-connection goroutines have finished.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, closeAll, wait func()) error {
	srv := &http.Server{Handler: h}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	var err error
	select {
	case <-ctx.Done():
		err = srv.Close()
		<-errc // Serve returns ErrServerClosed once Close has run
	case err = <-errc:
	}
	closeAll()
	wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
