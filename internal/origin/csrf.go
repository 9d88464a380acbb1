package origin

import (
	"mime"
	"net/http"
)

// CheckCookie decides whether r may be authenticated by a cookie, and
// returns why not ("" when it may). Cookies travel with requests that a
// page on another site makes the browser send (cross-site request
// forgery), so besides the SameSite=Strict attribute on every liveroom
// cookie, a cookie-authenticated request must:
//
//   - be a POST (state changes never ride on GET);
//   - carry an Origin header that the policy allows: a request without one
//     is not from a browser page and must present an explicit token
//     instead, and is never authenticated by cookie;
//   - not be marked cross-site by the browser (Sec-Fetch-Site, from Fetch
//     Metadata; SameSite=Strict cookies are not sent cross-site anyway);
//   - have Content-Type application/json, which an HTML form cannot send
//     and a cross-origin fetch cannot send without a CORS preflight that
//     this server answers only for allowed origins.
func (p *Policy) CheckCookie(r *http.Request) string {
	if r.Method != http.MethodPost {
		return "cookie-authenticated requests must be POST"
	}
	switch v, reason := p.Check(r); v {
	case Absent:
		return "no Origin header: requests from outside a browser must send their token explicitly, not a cookie"
	case Refused:
		return reason
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return "the browser marked this request cross-site"
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return "Content-Type must be application/json"
	}
	return ""
}
