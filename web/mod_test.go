package web

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The moderator and agent consoles are pages of the bundle like the room:
// their hashed files exist and are cached for good, the pages are
// revalidated, and they have no inline code.
func TestModeratorConsolePage(t *testing.T) {
	for _, page := range []string{"/mod.html", "/agent.html"} {
		t.Run(page, func(t *testing.T) { checkConsolePage(t, page) })
	}
}

func checkConsolePage(t *testing.T, page string) {
	res := get(t, page)
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET %s = %d, Cache-Control %q", page, res.StatusCode, res.Header.Get("Cache-Control"))
	}
	body, _ := io.ReadAll(res.Body)
	refs := regexp.MustCompile(`(?:src|href)="(/[^"]+)"`).FindAllStringSubmatch(string(body), -1)
	if len(refs) < 3 {
		t.Fatalf("%s names %d files, want the script, the style and the icon", page, len(refs))
	}
	for _, ref := range refs {
		r := get(t, ref[1])
		if r.StatusCode != http.StatusOK || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s = %d, Cache-Control %q", ref[1], r.StatusCode, r.Header.Get("Cache-Control"))
		}
	}
	if regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]|<style|\sstyle="|\son[a-z]+=`).Match(body) {
		t.Errorf("%s has inline script, style or event handler", page)
	}
}
