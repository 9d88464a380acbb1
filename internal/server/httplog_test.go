package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A handler that panics is reported at Error level (net/http recovers it
// and drops the request); routine server noise stays at Debug.
func TestHTTPErrorLogReportsPanicsAtError(t *testing.T) {
	var out lockedBuffer
	l := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom in a handler")
	}))
	srv.Config.ErrorLog = newHTTPErrorLog(l)
	srv.Start()
	defer srv.Close()
	if resp, err := http.Get(srv.URL); err == nil {
		resp.Body.Close()
		t.Fatalf("a panicking handler answered %s", resp.Status)
	}
	newHTTPErrorLog(l).Print("http: TLS handshake error from 1.2.3.4:5: EOF")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "boom in a handler") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := out.String()
	if !strings.Contains(got, "level=ERROR") || !strings.Contains(got, "boom in a handler") {
		t.Fatalf("panic not logged at Error:\n%s", got)
	}
	if strings.Contains(got, "TLS handshake") {
		t.Fatalf("routine noise logged above Debug:\n%s", got)
	}
}
