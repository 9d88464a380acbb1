package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Result()
}

// The page names its script, style and icon by hashed file names; each must
// be in the embedded bundle, cached for good, and the page itself revalidated.
func TestIndexNamesEmbeddedFiles(t *testing.T) {
	res := get(t, "/")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", res.StatusCode)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("GET / Cache-Control = %q, want no-cache", got)
	}
	body, _ := io.ReadAll(res.Body)
	refs := regexp.MustCompile(`(?:src|href)="(/[^"]+\.(?:js|css|svg))"`).FindAllStringSubmatch(string(body), -1)
	if len(refs) < 3 {
		t.Fatalf("index.html names %d files, want the script, the style and the icon", len(refs))
	}
	for _, ref := range refs {
		r := get(t, ref[1])
		if r.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d: index.html names a file the bundle lacks", ref[1], r.StatusCode)
		}
		if got := r.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") {
			t.Errorf("GET %s Cache-Control = %q, want immutable", ref[1], got)
		}
	}
}

// No inline script or style: the policy forbids them, so the page must not need them.
func TestStrictContentSecurityPolicy(t *testing.T) {
	res := get(t, "/")
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy %q allows inline code", csp)
	}
	body, _ := io.ReadAll(res.Body)
	if regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]|<style|\sstyle="|\son[a-z]+=`).Match(body) {
		t.Errorf("index.html has inline script, style or event handler")
	}
}
