package hub

import "iter"

// smallMapFew is the most entries a smallMap keeps in its slice.
const smallMapFew = 8

// smallMap is a map that keeps up to smallMapFew entries in a slice and
// switches to a Go map past that. Most connections hold a few
// subscriptions and most channels at scale are personal (one subscriber):
// a one-entry slice is 16–32 bytes where a map is about 250 (a header and
// a group of eight slots), which is a tenth of an idle connection's memory.
// Lookups scan at most smallMapFew keys. The zero value is empty. Not safe
// for concurrent use: its owner's lock guards it.
type smallMap[K comparable, V any] struct {
	few  []smallEntry[K, V]
	many map[K]V // nil until the slice overflows; then holds every entry
}

type smallEntry[K comparable, V any] struct {
	k K
	v V
}

func (m *smallMap[K, V]) get(k K) (V, bool) {
	if m.many != nil {
		v, ok := m.many[k]
		return v, ok
	}
	for i := range m.few {
		if m.few[i].k == k {
			return m.few[i].v, true
		}
	}
	var zero V
	return zero, false
}

func (m *smallMap[K, V]) put(k K, v V) {
	if m.many != nil {
		m.many[k] = v
		return
	}
	for i := range m.few {
		if m.few[i].k == k {
			m.few[i].v = v
			return
		}
	}
	if len(m.few) < smallMapFew {
		m.few = append(m.few, smallEntry[K, V]{k, v})
		return
	}
	m.many = make(map[K]V, 2*smallMapFew)
	for _, e := range m.few {
		m.many[e.k] = e.v
	}
	m.many[k] = v
	m.few = nil
}

// remove deletes k and returns what it held.
func (m *smallMap[K, V]) remove(k K) (V, bool) {
	if m.many != nil {
		v, ok := m.many[k]
		if ok {
			delete(m.many, k)
			if len(m.many) == 0 {
				m.many = nil
			}
		}
		return v, ok
	}
	for i := range m.few {
		if m.few[i].k == k {
			v := m.few[i].v
			last := len(m.few) - 1
			m.few[i] = m.few[last]
			m.few[last] = smallEntry[K, V]{}
			m.few = m.few[:last]
			if last == 0 {
				m.few = nil // release the array of a map that emptied
			}
			return v, true
		}
	}
	var zero V
	return zero, false
}

func (m *smallMap[K, V]) len() int {
	if m.many != nil {
		return len(m.many)
	}
	return len(m.few)
}

// all yields every entry once, in no particular order. The body must not
// change the map.
func (m *smallMap[K, V]) all() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		if m.many != nil {
			for k, v := range m.many {
				if !yield(k, v) {
					return
				}
			}
			return
		}
		for _, e := range m.few {
			if !yield(e.k, e.v) {
				return
			}
		}
	}
}
