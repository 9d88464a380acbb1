package auth

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSecretsCreatedOnceAndReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	s, created, err := LoadOrCreateSecrets(dir)
	if err != nil || !created {
		t.Fatalf("first start: created=%v err=%v", created, err)
	}
	for _, v := range []string{s.TokenSecret, s.APIKey} {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(raw) != 32 {
			t.Fatalf("secret %d chars, %d bytes, %v; want 32 random bytes base64url", len(v), len(raw), err)
		}
	}
	if s.TokenSecret == s.APIKey {
		t.Fatal("token secret and API key are the same")
	}
	if runtime.GOOS != "windows" {
		assertMode(t, filepath.Join(dir, SecretsFile), 0o600)
		assertMode(t, dir, 0o700)
	}
	again, created, err := LoadOrCreateSecrets(dir)
	if err != nil || created || again != s {
		t.Fatalf("second start: created=%v err=%v same=%v", created, err, again == s)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("data dir holds %d entries; want only %s", len(entries), SecretsFile)
	}

	// The generated secret works as a token key.
	key, err := s.Key()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Mint(key, MintClaims{User: "u", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	v := mustVerifier(t, VerifierConfig{Keys: mustKeySet(t, key)})
	if _, err := v.VerifyConnect(tok, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !APIKeyMatches(s.APIKey, again.APIKey) {
		t.Fatal("API key does not match itself")
	}
}

func TestSecretsExistingDirKeepsMode(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateSecrets(dir); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		assertMode(t, dir, 0o750)
	}
}

func TestSecretsConcurrentStart(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	results := make([]Secrets, n)
	createdCount := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, created, err := LoadOrCreateSecrets(dir)
			if err != nil {
				t.Error(err)
			}
			results[i], createdCount[i] = s, created
		})
	}
	wg.Wait()
	creators := 0
	for i := range n {
		if results[i] != results[0] {
			t.Fatalf("start %d got different secrets", i)
		}
		if createdCount[i] {
			creators++
		}
	}
	if creators != 1 {
		t.Fatalf("%d starts report creating the secrets; want 1", creators)
	}
}

func TestSecretsBadFile(t *testing.T) {
	valid := `{"version":1,"token_hmac_secret":"` + strings.Repeat("a", 43) + `","api_key":"` + strings.Repeat("b", 43) + `"}`
	cases := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
	}{
		{"empty", "", 0o600, "is corrupt (file is empty)"},
		{"truncated", valid[:30], 0o600, "is corrupt"},
		{"not json", "token=abc\n", 0o600, "is corrupt"},
		{"unknown field", strings.Replace(valid, `"version"`, `"extra":1,"version"`, 1), 0o600, "is corrupt"},
		{"wrong version", strings.Replace(valid, `"version":1`, `"version":2`, 1), 0o600, "unknown version 2"},
		{"short secret", strings.Replace(valid, strings.Repeat("a", 43), "abc", 1), 0o600, "token_hmac_secret is missing or too short"},
		{"no api key", `{"version":1,"token_hmac_secret":"` + strings.Repeat("a", 43) + `"}`, 0o600, "api_key is missing"},
		{"too large", strings.Repeat(" ", 5000) + valid, 0o600, "too large"},
	}
	if runtime.GOOS != "windows" {
		cases = append(cases, struct {
			name, content string
			mode          os.FileMode
			want          string
		}{"readable by others", valid, 0o644, "accessible by other users (mode 0644); run chmod 600"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, SecretsFile)
			if err := os.WriteFile(path, []byte(c.content), c.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, c.mode); err != nil {
				t.Fatal(err)
			}
			_, _, err := LoadOrCreateSecrets(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v; want it to name %s and say %q", err, path, c.want)
			}
			after, _ := os.ReadFile(path)
			if string(after) != c.content {
				t.Fatal("bad secrets file was modified")
			}
		})
	}
	// The valid content itself loads.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, SecretsFile), []byte(valid), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, created, err := LoadOrCreateSecrets(dir); err != nil || created || s.APIKey != strings.Repeat("b", 43) {
		t.Fatalf("valid file: %v %v", created, err)
	}
}

func TestSecretsUnreadable(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs POSIX permissions enforced (not root)")
	}
	dir := t.TempDir()
	if _, _, err := LoadOrCreateSecrets(dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, SecretsFile)
	if err := os.Chmod(path, 0o000); err != nil {
		t.Fatal(err)
	}
	_, _, err := LoadOrCreateSecrets(dir)
	if err == nil || !strings.Contains(err.Error(), "cannot read "+path) {
		t.Fatalf("error %v", err)
	}
}

func TestSecretsPathIsDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, SecretsFile), 0o700); err != nil {
		t.Fatal(err)
	}
	_, _, err := LoadOrCreateSecrets(dir)
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("error %v", err)
	}
	if _, _, err := LoadOrCreateSecrets(""); err == nil {
		t.Fatal("empty data dir accepted")
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Fatalf("%s has mode %04o; want %04o", path, got, want)
	}
}
