package realip

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestClient(t *testing.T) {
	p, err := Parse([]string{"10.0.0.0/8", "192.168.1.7", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	lb := netip.MustParseAddr("10.0.0.2")
	cases := []struct {
		name string
		peer netip.Addr
		xff  []string
		want string
	}{
		{"no header", lb, nil, "10.0.0.2"},
		{"one hop", lb, []string{"203.0.113.9"}, "203.0.113.9"},
		{"two trusted hops", lb, []string{"203.0.113.9, 192.168.1.7"}, "203.0.113.9"},
		{"what the client wrote is not believed", lb, []string{"1.2.3.4, 203.0.113.9"}, "203.0.113.9"},
		{"several header lines are one list", lb, []string{"1.2.3.4", "203.0.113.9, 10.1.1.1"}, "203.0.113.9"},
		{"untrusted peer: header ignored", netip.MustParseAddr("203.0.113.50"), []string{"1.2.3.4"}, "203.0.113.50"},
		{"garbage at the end: the peer", lb, []string{"203.0.113.9, unknown"}, "10.0.0.2"},
		{"garbage before a valid entry", lb, []string{"bogus, 203.0.113.9"}, "203.0.113.9"},
		{"only proxies: the first of them", lb, []string{"10.9.9.9, 10.1.1.1"}, "10.9.9.9"},
		{"IPv6 client", lb, []string{"2001:db8::1"}, "2001:db8::1"},
		{"an IPv6 zone is dropped", lb, []string{"fe80::1%eth0"}, "fe80::1"},
		{"IPv4-mapped peer", netip.MustParseAddr("::ffff:10.0.0.2"), []string{"203.0.113.9"}, "203.0.113.9"},
		{"a long header is read from its end only", lb, []string{strings.Repeat("10.0.0.1, ", 1000) + "203.0.113.9"}, "203.0.113.9"},
	}
	for _, tc := range cases {
		if got := p.Client(tc.peer, tc.xff); got.String() != tc.want {
			t.Errorf("%s: %s; want %s", tc.name, got, tc.want)
		}
	}
	var none *Proxies
	if got := none.Client(lb, []string{"203.0.113.9"}); got != lb {
		t.Errorf("no trusted proxies: %s; want the peer", got)
	}
}

func TestParseNamesABadEntry(t *testing.T) {
	if _, err := Parse([]string{"10.0.0.0/8", "10.0.0.300"}); err == nil || !strings.Contains(err.Error(), `"10.0.0.300"`) {
		t.Fatalf("Parse: %v; want an error naming the entry", err)
	}
}

func TestHandlerRewritesOnlyTrustedRequests(t *testing.T) {
	p, _ := Parse([]string{"127.0.0.1"})
	var seen string
	h := p.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { seen = r.RemoteAddr }))
	for _, tc := range []struct{ peer, xff, want string }{
		{"127.0.0.1:5000", "198.51.100.4", "198.51.100.4:0"},
		{"127.0.0.1:5000", "", "127.0.0.1:5000"},
		{"198.51.100.8:6000", "1.2.3.4", "198.51.100.8:6000"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if seen != tc.want {
			t.Errorf("peer %s, X-Forwarded-For %q: handler saw %s; want %s", tc.peer, tc.xff, seen, tc.want)
		}
	}
}

func FuzzClient(f *testing.F) {
	p, _ := Parse([]string{"10.0.0.0/8"})
	for _, s := range []string{"", "1.2.3.4", "1.2.3.4, 10.0.0.1", ",,,", "::1,", "[::1]:80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, xff string) {
		got := p.Client(netip.MustParseAddr("10.0.0.2"), []string{xff})
		if !got.IsValid() {
			t.Fatalf("X-Forwarded-For %q gave no address", xff)
		}
	})
}
