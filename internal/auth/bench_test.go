package auth

import (
	"testing"
	"time"
)

// BenchmarkVerifyConnect: a typical connection token (user, name, one
// channel, aud) per algorithm.
func BenchmarkVerifyConnect(b *testing.B) {
	k := testKeys(b)
	for _, key := range []Key{
		mustKey(b)(NewHMACKey("", testSecret)),
		mustKey(b)(NewPrivateKey("", k.rsa)),
		mustKey(b)(NewPrivateKey("", k.ed)),
	} {
		b.Run(key.Algorithm, func(b *testing.B) {
			v := mustVerifier(b, VerifierConfig{Keys: mustKeySet(b, key.Public()), Audience: testAudience})
			tok, err := Mint(key, MintClaims{User: "user-1", Name: "Ann", TTL: time.Hour, IssuedAt: testNow, Audience: testAudience, Channels: []string{"news"}})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.VerifyConnect(tok, testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRejectHostile (case C05 step 5): B/op against the token length
// is the figure to quote; "B/token-byte" reports their ratio.
func BenchmarkRejectHostile(b *testing.B) {
	v := mustVerifier(b, VerifierConfig{Keys: mustKeySet(b, mustKey(b)(NewHMACKey("", testSecret)))})
	for _, c := range hostileTokens() {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.VerifyConnect(c.token, testNow); err == nil {
					b.Fatal("accepted")
				}
			}
			b.StopTimer()
			perOp := bytesPerRun(func() { _, _ = v.VerifyConnect(c.token, testNow) })
			b.ReportMetric(float64(perOp)/float64(len(c.token)), "B/token-byte")
		})
	}
}

// BenchmarkDecodeClaims: the payload walk of a verified connection token.
func BenchmarkDecodeClaims(b *testing.B) {
	payload := []byte(`{"aud":["liveroom-test"],"channels":["news"],"exp":1777640400,"iat":1777636800,"info":{"name":"Ann"},"sub":"user-1"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeClaims(payload); err != nil {
			b.Fatal(err)
		}
	}
}
