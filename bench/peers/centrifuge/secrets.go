package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// secretsFileName is the file liveroom generates into its data directory;
// the peer reads and writes the same format, so the load tool's --data-dir
// works against either server.
const secretsFileName = "secrets.json"

// secrets are the HS256 token secret and the server API key.
type secrets struct {
	Version     int    `json:"version"`
	TokenSecret string `json:"token_hmac_secret"`
	APIKey      string `json:"api_key"`
}

// loadOrCreateSecrets reads dir/secrets.json, creating it (mode 0600, 32
// random bytes each, base64url) when absent.
func loadOrCreateSecrets(dir string) (secrets, error) {
	path := filepath.Join(dir, secretsFileName)
	data, err := os.ReadFile(path)
	if err == nil {
		var s secrets
		if err := json.Unmarshal(data, &s); err != nil {
			return secrets{}, fmt.Errorf("secrets: %s: %w", path, err)
		}
		if s.Version != 1 || len(s.TokenSecret) < minSecretLen || len(s.APIKey) < minSecretLen {
			return secrets{}, fmt.Errorf("secrets: %s is not a version 1 secrets file with both secrets", path)
		}
		return s, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return secrets{}, fmt.Errorf("secrets: %w", err)
	}
	s := secrets{Version: 1}
	for _, dst := range []*string{&s.TokenSecret, &s.APIKey} {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return secrets{}, fmt.Errorf("secrets: %w", err)
		}
		*dst = base64.RawURLEncoding.EncodeToString(b)
	}
	if data, err = json.MarshalIndent(s, "", "  "); err != nil {
		return secrets{}, fmt.Errorf("secrets: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return secrets{}, fmt.Errorf("secrets: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return secrets{}, fmt.Errorf("secrets: %w", err)
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		_ = f.Close()
		return secrets{}, fmt.Errorf("secrets: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return secrets{}, fmt.Errorf("secrets: close %s: %w", path, err)
	}
	return s, nil
}
