package auth

// DefaultMaxTokenLength is the longest token accepted unless configured
// otherwise. Real connection tokens are a few hundred bytes; a long channel
// list or info object still fits comfortably.
const DefaultMaxTokenLength = 8 << 10

// maxHeaderLength bounds the encoded JOSE header. Ours carry alg, typ and
// kid (well under 200 bytes); certificate chains in x5c are not supported.
const maxHeaderLength = 1 << 10

// base64url marks the bytes of the unpadded base64url alphabet
// (RFC 4648 §5), the only ones a JWS compact segment may hold (RFC 7515 §7.1).
var base64url = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['_'] = true, true
	return t
}()

// checkShape rejects what cannot be a signed compact JWS before anything is
// decoded or allocated: a token longer than maxLen, anything but three
// non-empty base64url segments separated by exactly two dots, and a header
// over maxHeaderLength. It reads each byte at most once and allocates only
// for the error it returns, so hostile input (megabytes of dots, binary
// junk) costs microseconds and no memory proportional to its size.
func checkShape(token string, maxLen int) *TokenError {
	if len(token) == 0 {
		return invalid("token is empty")
	}
	if len(token) > maxLen {
		return invalid("token is %d bytes; the limit is %d", len(token), maxLen)
	}
	first, second := -1, -1
	for i := 0; i < len(token); i++ {
		c := token[i]
		if base64url[c] {
			continue
		}
		if c != '.' {
			return invalid("token has a byte outside the base64url alphabet at position %d", i)
		}
		switch {
		case first < 0:
			first = i
		case second < 0:
			second = i
		default:
			return invalid("token has more than 3 dot-separated parts; a JWT has exactly 3 (header.payload.signature)")
		}
	}
	switch {
	case second < 0:
		return invalid("token has fewer than 3 dot-separated parts; a JWT has exactly 3 (header.payload.signature)")
	case first == 0:
		return invalid("token header is empty")
	case first > maxHeaderLength:
		return invalid("token header is %d bytes; the limit is %d", first, maxHeaderLength)
	case second == first+1:
		return invalid("token payload is empty")
	case second == len(token)-1:
		return invalid("token is unsigned (empty signature); unsigned tokens are never accepted")
	}
	return nil
}
