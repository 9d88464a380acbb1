// Package web embeds the demo site: the built bundle under dist/, made from
// the sources under src/ by the npm build (see web/README.md).
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed dist
var dist embed.FS

// Handler serves the built site.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embedded tree always has dist/
	}
	return http.FileServer(http.FS(sub))
}
