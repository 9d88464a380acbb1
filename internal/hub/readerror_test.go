package hub

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestReadErrorSaysNothingAboutStoring: a history or presence read that
// timed out used to answer "the publication may not be stored", words for
// a publish; a read stored nothing and is only retried.
func TestReadErrorSaysNothingAboutStoring(t *testing.T) {
	h := &Hub{log: slog.New(slog.DiscardHandler)}
	for _, err := range []error{context.DeadlineExceeded, fmt.Errorf("read: %w", ErrUnknownOutcome)} {
		werr := h.readError("room:x", err)
		if !werr.Temporary || strings.Contains(werr.Message, "publication") || !strings.Contains(werr.Message, "retry") {
			t.Fatalf("readError(%v) = %+v; want a temporary error to retry, not about a publication", err, werr)
		}
	}
	if werr := h.engineError("room:x", context.DeadlineExceeded); !strings.Contains(werr.Message, "publication") {
		t.Fatalf("engineError for a publish timeout = %q; want it to speak of the publication", werr.Message)
	}
}
