package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a length of time written in the config file as a string with a
// unit, such as "25s", "500ms", "1h30m" or "24h" (the syntax of
// time.ParseDuration; units ns, us, ms, s, m, h). A bare number is refused,
// so that `ping_interval = 25` cannot silently mean 25 nanoseconds.
// Negative durations are refused.
type Duration time.Duration

// Duration returns d as a time.Duration.
func (d Duration) Duration() time.Duration { return time.Duration(d) }

// String formats d the way it is written in the config file, without
// trailing zero units: "24h" rather than "24h0m0s".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalText implements encoding.TextMarshaler; the result parses back to
// the same value.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler. It returns an error that
// quotes the text for anything but a non-negative duration with a unit.
func (d *Duration) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	if s == "true" || s == "false" { // a TOML boolean arrives as its text
		return fmt.Errorf("invalid duration: got the boolean %s; write a number and a unit such as \"25s\"", s)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		if f, numErr := strconv.ParseFloat(s, 64); numErr == nil {
			// A TOML number reaches here as the decoder printed it
			// ("30.500000"); show it as written.
			s = strconv.FormatFloat(f, 'g', -1, 64)
			return fmt.Errorf("invalid duration %q: give a unit, as in \"%ss\" or \"%sms\" (units: ns, us, ms, s, m, h)", s, s, s)
		}
		return fmt.Errorf("invalid duration %q: write a number and a unit such as \"25s\", \"500ms\" or \"24h\" (units: ns, us, ms, s, m, h)", s)
	}
	if v < 0 {
		return fmt.Errorf("invalid duration %q: must not be negative", s)
	}
	*d = Duration(v)
	return nil
}

// ByteSize is a number of bytes. The config file takes an integer (65536) or
// a string with a binary unit: "64KiB", "1MiB", "2 GiB" (units B, KiB, MiB,
// GiB, TiB, powers of 1024; the number must be a whole number). Decimal
// units such as "MB" are refused as ambiguous. Negative sizes are refused.
type ByteSize int64

// Int returns the size as an int, for buffer sizes and limits.
func (b ByteSize) Int() int { return int(b) }

// Binary units accepted by ByteSize, largest first.
const (
	KiB ByteSize = 1 << 10
	MiB ByteSize = 1 << 20
	GiB ByteSize = 1 << 30
	TiB ByteSize = 1 << 40
)

type sizeUnit struct {
	name string
	size ByteSize
}

func sizeUnits() []sizeUnit {
	return []sizeUnit{{"TiB", TiB}, {"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB}}
}

// String formats b with the largest binary unit that divides it exactly
// ("64KiB", "1MiB"), or as a plain number of bytes ("1000").
func (b ByteSize) String() string {
	if b > 0 {
		for _, u := range sizeUnits() {
			if b%u.size == 0 {
				return strconv.FormatInt(int64(b/u.size), 10) + u.name
			}
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// MarshalText implements encoding.TextMarshaler; the result parses back to
// the same value.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

var errSizeSyntax = errors.New("write a whole number of bytes (65536) or a number with a binary unit: \"64KiB\", \"1MiB\" (units: B, KiB, MiB, GiB, TiB)")

// UnmarshalText implements encoding.TextUnmarshaler. TOML integers arrive
// here as their decimal text.
func (b *ByteSize) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	if s == "true" || s == "false" { // a TOML boolean arrives as its text
		return fmt.Errorf("invalid size: got the boolean %s; write a whole number of bytes or a string such as \"64KiB\"", s)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && strings.ContainsAny(s, ".eE") {
		// A TOML float reaches here as the decoder printed it
		// ("2.000000"); show it as written.
		s = strconv.FormatFloat(f, 'g', -1, 64)
		return fmt.Errorf("invalid size %q: sizes are whole numbers of bytes; write an integer such as 65536 or a string such as \"64KiB\"", s)
	}
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	num, unit := s[:i], strings.TrimSpace(s[i:])
	if strings.HasPrefix(unit, ".") {
		return fmt.Errorf("invalid size %q: sizes are whole numbers of bytes; write \"1536KiB\" rather than \"1.5MiB\"", s)
	}
	if num == "" || num == "-" || num == "+" {
		return fmt.Errorf("invalid size %q: %w", s, errSizeSyntax)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return fmt.Errorf("invalid size %q: too large", s)
	}
	if n < 0 {
		return fmt.Errorf("invalid size %q: must not be negative", s)
	}
	mult := ByteSize(1)
	switch strings.ToLower(unit) {
	case "", "b":
	case "kib":
		mult = KiB
	case "mib":
		mult = MiB
	case "gib":
		mult = GiB
	case "tib":
		mult = TiB
	case "kb", "mb", "gb", "tb", "k", "m", "g", "t":
		bin := strings.ToUpper(unit[:1]) + "iB"
		return fmt.Errorf("invalid size %q: %q is ambiguous; write %q for powers of 1024 or give the number of bytes", s, unit, num+bin)
	default:
		return fmt.Errorf("invalid size %q: %w", s, errSizeSyntax)
	}
	if n > math.MaxInt64/int64(mult) {
		return fmt.Errorf("invalid size %q: too large", s)
	}
	*b = ByteSize(n) * mult
	return nil
}
