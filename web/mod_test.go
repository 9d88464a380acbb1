package web

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The moderator console is a page of the bundle like the room: its hashed
// files exist and are cached for good, the page is revalidated, and it has
// no inline code.
func TestModeratorConsolePage(t *testing.T) {
	res := get(t, "/mod.html")
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET /mod.html = %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	body, _ := io.ReadAll(res.Body)
	refs := regexp.MustCompile(`(?:src|href)="(/[^"]+)"`).FindAllStringSubmatch(string(body), -1)
	if len(refs) < 3 {
		t.Fatalf("mod.html names %d files, want the script, the style and the icon", len(refs))
	}
	for _, ref := range refs {
		r := get(t, ref[1])
		if r.StatusCode != http.StatusOK || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s = %d, Cache-Control %q", ref[1], r.StatusCode, r.Header.Get("Cache-Control"))
		}
	}
	if regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]|<style|\sstyle="|\son[a-z]+=`).Match(body) {
		t.Error("mod.html has inline script, style or event handler")
	}
}
