// Package realip finds the address of the client behind the proxies an
// operator trusts (a load balancer, a TLS terminator), so that limits per
// address, sign-in throttling and the devices list see clients rather
// than the proxy.
//
// A request whose TCP peer is a trusted proxy is taken to come from the
// address that proxy put in X-Forwarded-For (the de facto header: each
// proxy appends the address it received the request from). The list is
// read from its end, skipping trusted proxies, and the first address that
// is not one is the client: entries before it were written by the client
// or by proxies nobody vouches for, and a client can write anything there.
// A request from a peer that is not trusted keeps its peer address, and
// its X-Forwarded-For is ignored, so a client cannot claim another
// address by sending the header itself.
package realip

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies is a set of trusted proxy addresses. The zero value (and nil)
// trusts none.
type Proxies struct {
	prefixes []netip.Prefix
}

// Parse reads trusted proxies: each entry a CIDR prefix ("10.0.0.0/8",
// "fd00::/8") or a single address ("10.0.0.7"). Errors name the entry.
func Parse(entries []string) (*Proxies, error) {
	p := &Proxies{}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if pfx, err := netip.ParsePrefix(e); err == nil {
			p.prefixes = append(p.prefixes, pfx.Masked())
			continue
		}
		a, err := netip.ParseAddr(e)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is neither an IP address nor a CIDR prefix (such as 10.0.0.0/8)", e)
		}
		a = a.Unmap()
		p.prefixes = append(p.prefixes, netip.PrefixFrom(a, a.BitLen()))
	}
	return p, nil
}

// Trusts reports whether a is a trusted proxy.
func (p *Proxies) Trusts(a netip.Addr) bool {
	if p == nil {
		return false
	}
	a = a.Unmap()
	for _, pfx := range p.prefixes {
		if pfx.Contains(a) {
			return true
		}
	}
	return false
}

// maxForwardedEntries bounds how many X-Forwarded-For entries are read
// from the end of the list: a chain of proxies is short, and a long
// header costs nothing beyond this.
const maxForwardedEntries = 16

// Client returns the client's address for a request from peer carrying
// the given X-Forwarded-For header values: peer itself unless peer is a
// trusted proxy that forwarded a valid address.
func (p *Proxies) Client(peer netip.Addr, forwardedFor []string) netip.Addr {
	peer = peer.Unmap()
	if !p.Trusts(peer) || len(forwardedFor) == 0 {
		return peer
	}
	// Several header lines are one list, in order (RFC 9110 §5.3).
	list := strings.Join(forwardedFor, ",")
	client := peer
	for i := 0; i < maxForwardedEntries; i++ {
		cut := strings.LastIndexByte(list, ',')
		entry := strings.TrimSpace(list[cut+1:])
		a, err := netip.ParseAddr(entry)
		if err != nil {
			// Not an address (a port, an obfuscated id, garbage): what is
			// before it cannot be vouched for either.
			return client
		}
		// A zone ("fe80::1%eth0") names the proxy's interface, not the
		// client, and would make one address count as many.
		client = a.Unmap().WithZone("")
		if !p.Trusts(client) || cut < 0 {
			return client
		}
		list = list[:cut]
	}
	return client
}

// Handler gives next requests whose RemoteAddr is the client's address
// (port 0) when they came through a trusted proxy; other requests pass
// unchanged.
func (p *Proxies) Handler(next http.Handler) http.Handler {
	if p == nil || len(p.prefixes) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		client := p.Client(peer.Addr(), r.Header.Values("X-Forwarded-For"))
		if client == peer.Addr().Unmap() {
			next.ServeHTTP(w, r)
			return
		}
		r2 := r.WithContext(r.Context()) // a shallow copy: a handler must not change the request it was given
		r2.RemoteAddr = netip.AddrPortFrom(client, 0).String()
		next.ServeHTTP(w, r2)
	})
}
