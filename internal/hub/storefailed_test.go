package hub

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/liveroom-dev/liveroom/wire"
)

// A write refused because the node's store failed reaches every caller
// (publish, RPCs, feature APIs, accounts) as one temporary error that says
// what was not stored, why, and that the node needs a restart.
func TestStoreFailedErrorSaysWhatFailedAndWhatToDo(t *testing.T) {
	// As the server's broker wraps the engine's error.
	engineErr := errors.New(`the store failed on this node: key-value bucket "profiles": write error: no space left on device`)
	err := fmt.Errorf("chat: save profile: %w", fmt.Errorf("%w: %w", ErrStoreFailed, engineErr))
	we := StoreFailedError(err)
	if we == nil {
		t.Fatal("no error for a wrapped ErrStoreFailed")
	}
	if we.Code != wire.CodeInternal || !we.Temporary {
		t.Fatalf("code %d temporary %v; want %d, temporary", we.Code, we.Temporary, wire.CodeInternal)
	}
	for _, want := range []string{"not stored", `key-value bucket "profiles"`, "no space left on device", "restart"} {
		if !strings.Contains(we.Message, want) {
			t.Errorf("message %q lacks %q", we.Message, want)
		}
	}
	if strings.Count(we.Message, "on this node") != 0 {
		t.Errorf("message %q repeats the wrapping", we.Message)
	}
	if StoreFailedError(errors.New("other")) != nil || StoreFailedError(ErrStorageFull) != nil {
		t.Fatal("an error for something other than a failed store")
	}
}
