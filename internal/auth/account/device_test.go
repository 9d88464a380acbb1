package account

import (
	"net/netip"
	"strings"
	"testing"
)

func TestDeviceNames(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0":           "Edge on Windows",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15":                      "Safari on macOS",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari on iOS",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/140.0 Mobile/15E148 Safari/604.1":  "Chrome on iOS",
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0":                                                                  "Firefox on Linux",
		"Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36":                   "Chrome on Android",
		"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36":                          "Chrome on ChromeOS",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 OPR/110.0.0.0":           "Opera on Windows",
		"curl/8.5.0":  "an unknown device",
		"":            "an unknown device",
		"okhttp/4.12": "an unknown device",
	} {
		if got := deviceOf(Client{UserAgent: ua}).Name; got != want {
			t.Errorf("%q → %q; want %q", ua, got, want)
		}
	}
	d := deviceOf(Client{UserAgent: "MyApp/2.1 (iPhone; iOS 17)", DeviceName: "  Ada's\u200b iPhone \x07"})
	if d.Name != "Ada's iPhone" || d.Platform != "iOS" {
		t.Fatalf("app-named device %+v", d)
	}
	if long := deviceOf(Client{DeviceName: strings.Repeat("é", 100)}); len([]rune(long.Name)) != maxDeviceName {
		t.Fatalf("device name not cut to %d characters: %d", maxDeviceName, len([]rune(long.Name)))
	}
	if got := addressKey(netip.MustParseAddr("2001:db8:1:2::77")); got != "2001:db8:1:2::/64" {
		t.Fatalf("IPv6 limiter key %q", got)
	}
	if got := addressKey(netip.MustParseAddr("::ffff:203.0.113.7")); got != "203.0.113.7" {
		t.Fatalf("mapped IPv4 limiter key %q", got)
	}
}
