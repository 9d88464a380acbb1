package support

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

func TestOpenAllowedSlidingWindow(t *testing.T) {
	cfg := DefaultConfig()
	cfg.OpenRate, cfg.OpenWindow = 2, time.Minute
	now := time.UnixMilli(1_000_000)
	ms := now.UnixMilli()
	for _, c := range []struct {
		opened []int64
		wait   string // "" when allowed
	}{
		{nil, ""},
		{[]int64{ms - 10_000}, ""},
		{[]int64{ms - 70_000, ms - 10_000}, ""}, // the first left the window
		{[]int64{ms - 50_000, ms - 10_000}, "wait 10 s"},
		{[]int64{ms - 59_500, ms - 1_000, ms}, "wait 59 s"},
	} {
		err := OpenAllowed(&cfg, c.opened, now)
		var werr *wire.Error
		switch {
		case c.wait == "" && err != nil:
			t.Errorf("opened %v: refused (%v); want allowed", c.opened, err)
		case c.wait != "" && (!errors.As(err, &werr) || werr.Code != wire.CodeSupportRateLimited || !werr.Temporary || !strings.Contains(werr.Message, c.wait)):
			t.Errorf("opened %v: %v; want a temporary 1204 saying %q", c.opened, err, c.wait)
		}
	}
	if got := RecentOpens(&cfg, []int64{ms - 70_000, ms - 5, ms + 5}, now); len(got) != 1 || got[0] != ms-5 {
		t.Errorf("RecentOpens = %v; want only the time inside the window", got)
	}
	cfg.OpenRate = 0
	if err := OpenAllowed(&cfg, []int64{ms, ms, ms}, now); err != nil {
		t.Errorf("open_rate 0: %v; want no limit", err)
	}
}
