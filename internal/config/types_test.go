package config

import (
	"strings"
	"testing"
	"time"
)

func TestDurationText(t *testing.T) {
	good := []struct {
		in   string
		want time.Duration
		text string
	}{
		{"25s", 25 * time.Second, "25s"},
		{"24h", 24 * time.Hour, "24h"},
		{"1h30m", 90 * time.Minute, "1h30m"},
		{"90m", 90 * time.Minute, "1h30m"},
		{"500ms", 500 * time.Millisecond, "500ms"},
		{" 2m ", 2 * time.Minute, "2m"},
		{"0s", 0, "0s"},
		{"0", 0, "0s"}, // time.ParseDuration accepts a bare zero
		{"1h0m5s", time.Hour + 5*time.Second, "1h0m5s"},
	}
	for _, tc := range good {
		var d Duration
		if err := d.UnmarshalText([]byte(tc.in)); err != nil {
			t.Errorf("UnmarshalText(%q): %v", tc.in, err)
			continue
		}
		if d.Duration() != tc.want {
			t.Errorf("UnmarshalText(%q) = %v, want %v", tc.in, d.Duration(), tc.want)
		}
		text, _ := d.MarshalText()
		if string(text) != tc.text {
			t.Errorf("MarshalText(%v) = %q, want %q", tc.want, text, tc.text)
		}
		var back Duration
		if err := back.UnmarshalText(text); err != nil || back != d {
			t.Errorf("round trip of %q: got %v, %v", text, back, err)
		}
	}

	bad := []struct{ in, want string }{
		{"25", `invalid duration "25": give a unit, as in "25s"`},
		{"1.5", `give a unit, as in "1.5s"`},
		{"five seconds", `invalid duration "five seconds": write a number and a unit`},
		{"1d", `invalid duration "1d"`},
		{"-5s", `invalid duration "-5s": must not be negative`},
		{"", `invalid duration ""`},
	}
	for _, tc := range bad {
		var d Duration
		err := d.UnmarshalText([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("UnmarshalText(%q) = %v, want error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestByteSizeText(t *testing.T) {
	good := []struct {
		in   string
		want ByteSize
		text string
	}{
		{"65536", 65536, "64KiB"},
		{"1000", 1000, "1000"},
		{"0", 0, "0"},
		{"64KiB", 64 << 10, "64KiB"},
		{"64 KiB", 64 << 10, "64KiB"},
		{"1MiB", 1 << 20, "1MiB"},
		{"1mib", 1 << 20, "1MiB"},
		{"1536KiB", 1536 << 10, "1536KiB"},
		{"2GiB", 2 << 30, "2GiB"},
		{"3TiB", 3 << 40, "3TiB"},
		{"512B", 512, "512"},
		{"+7", 7, "7"},
	}
	for _, tc := range good {
		var b ByteSize
		if err := b.UnmarshalText([]byte(tc.in)); err != nil {
			t.Errorf("UnmarshalText(%q): %v", tc.in, err)
			continue
		}
		if b != tc.want {
			t.Errorf("UnmarshalText(%q) = %d, want %d", tc.in, b, tc.want)
		}
		text, _ := b.MarshalText()
		if string(text) != tc.text {
			t.Errorf("MarshalText(%d) = %q, want %q", b, text, tc.text)
		}
		var back ByteSize
		if err := back.UnmarshalText(text); err != nil || back != b {
			t.Errorf("round trip of %q: got %d, %v", text, back, err)
		}
	}

	bad := []struct{ in, want string }{
		{"1MB", `"MB" is ambiguous; write "1MiB"`},
		{"64kb", `"kb" is ambiguous; write "64KiB"`},
		{"2G", `"G" is ambiguous; write "2GiB"`},
		{"1.5MiB", `sizes are whole numbers of bytes`},
		{"-1", `must not be negative`},
		{"lots", `write a whole number of bytes`},
		{"12 parsecs", `write a whole number of bytes`},
		{"", `invalid size ""`},
		{"9223372036854775808", `too large`},
		{"8388608TiB", `too large`},
	}
	for _, tc := range bad {
		var b ByteSize
		err := b.UnmarshalText([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("UnmarshalText(%q) = %v, want error containing %q", tc.in, err, tc.want)
		}
	}
}
