package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"github.com/liveroom-dev/liveroom/wire"
)

// HashParams are the argon2id costs (RFC 9106 §3.1) and how many hashes
// may run at once.
type HashParams struct {
	// MemoryKiB is the memory of one hash in KiB (m). OWASP's minimum is
	// 19,456 (19 MiB).
	MemoryKiB uint32
	// Iterations is the number of passes (t).
	Iterations uint32
	// Concurrency is the most hashes computed at once; memory use of
	// password checks peaks at Concurrency × MemoryKiB.
	Concurrency int
	// Queue is the most callers that may wait for a slot; more are refused
	// at once with CodeSignInBusy.
	Queue int
}

// Argon2id output and salt sizes (RFC 9106 §3.1 recommends a 16-byte salt
// and a 32-byte tag), and parallelism 1: the node bounds concurrency
// itself.
const (
	saltBytes   = 16
	keyBytes    = 32
	parallelism = 1
)

// Password rules: at least 8 characters (NIST SP 800-63B §5.1.1.2), and a
// byte cap so a megabyte "password" cannot be fed to the hash.
const (
	MinPasswordChars = 8
	MaxPasswordBytes = 1024
)

// checkPassword returns why a new password is refused, or nil.
func checkPassword(pw string) *Error {
	switch {
	case len(pw) > MaxPasswordBytes:
		return refuse(wire.CodeWeakPassword, "password is too long: at most %d bytes", MaxPasswordBytes)
	case !utf8.ValidString(pw):
		return refuse(wire.CodeWeakPassword, "password is not valid UTF-8 text")
	case utf8.RuneCountInString(pw) < MinPasswordChars:
		return refuse(wire.CodeWeakPassword, "password is too short: use at least %d characters", MinPasswordChars)
	}
	return nil
}

// hasher runs argon2id with bounded concurrency and a bounded queue, so a
// burst of sign-ins costs at most Concurrency × MemoryKiB of memory and
// answers the rest at once.
type hasher struct {
	p       HashParams
	slots   chan struct{} // one token per running hash
	waiting atomic.Int64  // callers in acquire

	// Counters for tests and metrics.
	running atomic.Int64
	peak    atomic.Int64 // most hashes seen running at once
	total   atomic.Int64 // hashes computed
	busy    atomic.Int64 // callers refused with CodeSignInBusy

	dummyOnce sync.Once
	dummy     string // hash of a random password, for unknown emails
}

func newHasher(p HashParams) *hasher {
	return &hasher{p: p, slots: make(chan struct{}, max(p.Concurrency, 1))}
}

// maxSlotWait bounds how long a caller waits for a hashing slot.
const maxSlotWait = 5 * time.Second

func errBusy() *Error {
	return &Error{Wire: wire.Error{Code: wire.CodeSignInBusy, Temporary: true,
		Message: "too many password checks in progress right now; retry in a second"}, RetryAfter: time.Second}
}

// acquire waits for a hashing slot; release gives it back.
func (h *hasher) acquire(ctx context.Context) error {
	if h.waiting.Add(1) > int64(h.p.Queue)+int64(cap(h.slots)) {
		h.waiting.Add(-1)
		h.busy.Add(1)
		return errBusy()
	}
	defer h.waiting.Add(-1)
	t := time.NewTimer(maxSlotWait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("waiting for a hashing slot: %w", ctx.Err())
	case <-t.C:
		h.busy.Add(1)
		return errBusy()
	}
	n := h.running.Add(1)
	for {
		p := h.peak.Load()
		if n <= p || h.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return nil
}

func (h *hasher) release() {
	h.running.Add(-1)
	<-h.slots
}

// hash returns the PHC string of pw:
// $argon2id$v=19$m=<KiB>,t=<passes>,p=1$<salt>$<hash> (unpadded base64).
// The caller holds a slot.
func (h *hasher) hash(pw string) string {
	h.total.Add(1)
	return h.compute(norm.NFC.String(pw))
}

func (h *hasher) compute(pw string) string {
	salt := make([]byte, saltBytes)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, h.p.Iterations, h.p.MemoryKiB, parallelism, keyBytes)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.p.MemoryKiB, h.p.Iterations, parallelism,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// verify reports whether pw matches a PHC string made by hash (with the
// costs stored in it, so costs can change later). The caller holds a
// slot. A malformed string never matches.
//
// Passwords are hashed in Unicode normalization form C (RFC 8265's
// OpaqueString profile; NIST SP 800-63B §5.1.1.2): "é" typed as one code
// point on one keyboard and as "e" plus a combining accent on another is
// the same password. A hash made before that from a password not in form
// C is still matched by its exact input, at the cost of a second hash for
// such input only (the same for every account, and for none).
func (h *hasher) verify(pw, phc string) bool {
	p, err := parsePHC(phc)
	if err != nil {
		return false
	}
	nfc := norm.NFC.String(pw)
	if h.matches(nfc, p) {
		return true
	}
	return nfc != pw && h.matches(pw, p)
}

func (h *hasher) matches(pw string, p phc) bool {
	key := argon2.IDKey([]byte(pw), p.salt, p.t, p.m, p.p, uint32(len(p.key)))
	h.total.Add(1)
	return subtle.ConstantTimeCompare(key, p.key) == 1
}

// dummyHash is a hash to verify against when an email has no account, so
// that answering takes as long as for a registered email. Made once (not
// counted as a password check), with a slot held by the caller.
func (h *hasher) dummyHash() string {
	h.dummyOnce.Do(func() { h.dummy = h.compute(rand.Text()) })
	return h.dummy
}

type phc struct {
	m, t      uint32
	p         uint8
	salt, key []byte
}

// Bounds on costs read back from a stored hash.
const (
	maxStoredMemoryKiB = 1 << 20 // 1 GiB
	maxStoredPasses    = 16
)

func parsePHC(s string) (phc, error) {
	var out phc
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return out, errors.New("not an argon2id v19 hash")
	}
	var m, t, p uint64
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return out, fmt.Errorf("cost %q: %w", kv, err)
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			p = n
		default:
			return out, fmt.Errorf("unknown cost %q", k)
		}
	}
	if m < 8 || m > maxStoredMemoryKiB || t < 1 || t > maxStoredPasses || p < 1 || p > 16 {
		return out, errors.New("costs out of range")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return out, errors.New("bad salt")
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return out, errors.New("bad hash")
	}
	return phc{m: uint32(m), t: uint32(t), p: uint8(p), salt: salt, key: key}, nil
}
