// Package web embeds the demo site: the built bundle under dist/, made from
// the sources under src/ by the npm build (see web/README.md).
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"regexp"
)

//go:embed dist
var dist embed.FS

// contentSecurityPolicy allows only the site's own files and its own
// WebSocket: no inline scripts or styles, no other origins, no framing,
// and (Trusted Types) no assignment of strings to HTML or script sinks
// such as innerHTML, so DOM-based injection fails even where a bug
// would allow it.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'; trusted-types 'none'"

// hashedName matches the build's content-hashed file names (app-HAH2IZID.js),
// which never change content and so may be cached for good.
var hashedName = regexp.MustCompile(`-[A-Za-z0-9]{8,}\.(js|css|svg)$`)

// Handler serves the built site.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embedded tree always has dist/
	}
	files := http.FileServer(http.FS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if hashedName.MatchString(r.URL.Path) {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}
