package account

import (
	"testing"

	"github.com/liveroom-dev/liveroom/wire"
)

// The reserved name cannot be taken by spelling it with full-width
// letters, no-break or doubled spaces, and a name cannot hold a line or
// paragraph separator (it breaks the line wherever the name is shown).
func TestNamesCannotImitateTheReservedNameOrBreakLines(t *testing.T) {
	for _, name := range []string{
		"Deleted User", "deleted\u00a0user", "deleted  user", "\uff44\uff45\uff4c\uff45\uff54\uff45\uff44 \uff55\uff53\uff45\uff52",
		"Ada\u2028Lovelace", "Ada\u2029Lovelace",
	} {
		if _, err := cleanName(name); err == nil || err.Wire.Code != wire.CodeBadRequest {
			t.Errorf("name %q accepted (%v); want refused", name, err)
		}
	}
	for _, name := range []string{"Ada Lovelace", "Zoë", "李小龍", "deleted user fan"} {
		if got, err := cleanName(name); err != nil || got != name {
			t.Errorf("name %q: %q, %v; want accepted as is", name, got, err)
		}
	}
}
