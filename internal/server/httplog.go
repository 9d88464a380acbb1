package server

import (
	"bytes"
	"log"
	"log/slog"
)

// httpErrorLog is the HTTP server's error log: the standard library
// reports there both routine noise (TLS handshakes from scanners, clients
// that hang up mid-request) and a handler that panicked. The noise goes to
// Debug; a panic — a bug, with its stack — goes to Error so it is seen.
type httpErrorLog struct{ log *slog.Logger }

func newHTTPErrorLog(l *slog.Logger) *log.Logger {
	return log.New(httpErrorLog{l}, "", 0)
}

func (w httpErrorLog) Write(p []byte) (int, error) {
	line := string(bytes.TrimRight(p, "\n"))
	if bytes.Contains(p, []byte("panic")) {
		w.log.Error("HTTP handler panicked; the request got no reply", "detail", line)
	} else {
		w.log.Debug("HTTP server", "detail", line)
	}
	return len(p), nil
}
