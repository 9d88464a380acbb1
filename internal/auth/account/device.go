package account

import (
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Client describes who is asking: where from and on what device.
type Client struct {
	// Addr is the peer's address (the TCP peer; proxies are not trusted).
	Addr netip.Addr
	// UserAgent is the request's User-Agent header.
	UserAgent string
	// DeviceName is a name a native app gives its device ("Ada's
	// iPhone"); empty for browsers, whose device is named from the
	// User-Agent.
	DeviceName string
}

// maxUserAgentBytes bounds how much of a User-Agent is looked at.
const maxUserAgentBytes = 512

// deviceOf names the device from the app's name or the User-Agent:
// "Chrome on Android", "Firefox on Windows", "Safari on iOS". It looks for
// fixed substrings only, in time linear in the (capped) header.
func deviceOf(c Client) Device {
	ua := c.UserAgent
	if len(ua) > maxUserAgentBytes {
		ua = ua[:maxUserAgentBytes]
	}
	d := Device{Platform: platformOf(ua), Browser: browserOf(ua)}
	if name := cleanDeviceName(c.DeviceName); name != "" {
		d.Name = name
		return d
	}
	switch {
	case d.Browser != "" && d.Platform != "":
		d.Name = d.Browser + " on " + d.Platform
	case d.Browser != "":
		d.Name = d.Browser
	case d.Platform != "":
		d.Name = "a device on " + d.Platform
	default:
		d.Name = "an unknown device"
	}
	return d
}

func platformOf(ua string) string {
	switch {
	case strings.Contains(ua, "Android"):
		return "Android"
	case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"), strings.Contains(ua, "iPod"):
		return "iOS"
	case strings.Contains(ua, "CrOS"):
		return "ChromeOS"
	case strings.Contains(ua, "Windows"):
		return "Windows"
	case strings.Contains(ua, "Macintosh"), strings.Contains(ua, "Mac OS X"):
		return "macOS"
	case strings.Contains(ua, "Linux"), strings.Contains(ua, "X11"):
		return "Linux"
	}
	return ""
}

// browserOf checks the tokens in an order that undoes User-Agent
// borrowing: Edge and Opera say Chrome, Chrome says Safari.
func browserOf(ua string) string {
	switch {
	case strings.Contains(ua, "Edg/"), strings.Contains(ua, "EdgA/"), strings.Contains(ua, "EdgiOS/"):
		return "Edge"
	case strings.Contains(ua, "OPR/"), strings.Contains(ua, "Opera"):
		return "Opera"
	case strings.Contains(ua, "Firefox/"), strings.Contains(ua, "FxiOS/"):
		return "Firefox"
	case strings.Contains(ua, "Chrome/"), strings.Contains(ua, "CriOS/"), strings.Contains(ua, "Chromium/"):
		return "Chrome"
	case strings.Contains(ua, "Safari/"):
		return "Safari"
	}
	return ""
}

// maxDeviceName bounds a device name given by an app, in characters.
const maxDeviceName = 48

// cleanDeviceName trims an app-given name to printable text of at most 48
// characters; "" when nothing is left.
func cleanDeviceName(s string) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return ""
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		if n == maxDeviceName {
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}
