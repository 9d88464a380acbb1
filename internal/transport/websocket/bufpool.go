package websocket

import (
	"math/bits"
	"sync"
)

// Buffers for outgoing frames and for messages waiting for a Session, in
// power-of-two classes from 256 bytes to 16 MiB; larger ones are not pooled.
const (
	minBufShift = 8
	maxBufShift = 24
)

var bufPools [maxBufShift - minBufShift + 1]sync.Pool

func bufClass(n int) int {
	if n <= 1<<minBufShift {
		return 0
	}
	return bits.Len(uint(n-1)) - minBufShift
}

// getBuf returns a buffer of length n.
func getBuf(n int) *[]byte {
	c := bufClass(n)
	if c >= len(bufPools) {
		b := make([]byte, n)
		return &b
	}
	if v, ok := bufPools[c].Get().(*[]byte); ok {
		*v = (*v)[:n]
		return v
	}
	b := make([]byte, n, 1<<(c+minBufShift))
	return &b
}

// putBuf returns a buffer from getBuf to its pool.
func putBuf(b *[]byte) {
	c := bufClass(cap(*b))
	if c >= len(bufPools) || cap(*b) != 1<<(c+minBufShift) {
		return
	}
	bufPools[c].Put(b)
}
