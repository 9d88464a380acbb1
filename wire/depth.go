package wire

// MaxBodyDepth is how deeply a JSON request body may nest objects and
// arrays: a publication's data may nest 64 levels (the hub's limit), and
// the body around it adds a few. Deeper bodies are refused before they are
// decoded: each level costs the decoders work and memory, and nothing
// liveroom reads is that deep.
const MaxBodyDepth = 72

// JSONDepth returns the deepest nesting of objects and arrays in data,
// counting no further than limit+1 (it stops there). It reads the bytes
// once and allocates nothing; strings are skipped with their escapes, so
// brackets inside them do not count. data need not be valid JSON.
func JSONDepth(data []byte, limit int) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, b := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
			continue
		}
		switch b {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > deepest {
				deepest = depth
				if deepest > limit {
					return deepest
				}
			}
		case '}', ']':
			depth--
		}
	}
	return deepest
}
