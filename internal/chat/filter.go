package chat

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/liveroom-dev/liveroom/wire"
)

// Limits of a room's term filter.
const (
	MaxTerms     = 200
	MaxTermChars = 64
)

// filterResult is what the term filters decide about a text.
type filterResult struct {
	action string // "", wire.TermBlock, wire.TermHold or wire.TermMask
	term   string // the term that decided it (the strongest one)
	text   string // the text with mask terms masked
}

var actionRank = map[string]int{wire.TermMask: 1, wire.TermHold: 2, wire.TermBlock: 3}

// filter applies the global and the room's terms. Matching is
// case-insensitive and on word boundaries ("ass" does not match "class").
// Mask terms are replaced by asterisks whatever else matches.
func (r *Room) filter(text string) filterResult {
	res := filterResult{text: text}
	rs := []rune(text)
	low := make([]rune, len(rs))
	for i, c := range rs {
		low[i] = matchFold(c)
	}
	masked := false
	check := func(t wire.ChatTerm) {
		term := []rune(t.Term)
		for i := range term {
			term[i] = matchFold(term[i])
		}
		for _, at := range matchTerm(low, term) {
			if t.Action == wire.TermMask {
				for k := at; k < at+len(term); k++ {
					if !unicode.IsSpace(rs[k]) {
						rs[k] = '*'
					}
				}
				masked = true
			}
			if actionRank[t.Action] > actionRank[res.action] {
				res.action, res.term = t.Action, t.Term
			}
		}
	}
	for _, t := range r.cfg.Terms {
		check(t)
	}
	for _, t := range r.Priv.Terms {
		check(t)
	}
	if masked {
		res.text = string(rs)
	}
	return res
}

// matchFold is how a character is compared with a term's: its
// compatibility form when that is one character (UAX #15 NFKC: full-width
// "Ｂ", mathematical "𝐛", circled "ⓑ" read as "b"), in lower case. One
// character for one, so a match's position is the text's.
func matchFold(r rune) rune {
	if r >= utf8.RuneSelf {
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], r)
		if f := norm.NFKC.Bytes(buf[:n]); utf8.RuneCount(f) == 1 {
			r, _ = utf8.DecodeRune(f)
		}
	}
	return unicode.ToLower(r)
}

// matchTerm returns the rune positions where term occurs in text as a
// whole word (or phrase).
func matchTerm(text, term []rune) []int {
	if len(term) == 0 || len(term) > len(text) {
		return nil
	}
	var out []int
	for i := 0; i+len(term) <= len(text); i++ {
		if i > 0 && isWordRune(text[i-1]) && isWordRune(term[0]) {
			continue
		}
		end := i + len(term)
		if end < len(text) && isWordRune(text[end]) && isWordRune(term[len(term)-1]) {
			continue
		}
		same := true
		for k, c := range term {
			if text[i+k] != c {
				same = false
				break
			}
		}
		if same {
			out = append(out, i)
		}
	}
	return out
}

// CleanTerms validates and normalises a term list: each term cleaned like a
// message, 1–64 characters, with a known action; duplicates (same term)
// keep the last action.
func CleanTerms(in []wire.ChatTerm) ([]wire.ChatTerm, error) {
	if len(in) > MaxTerms {
		return nil, fmt.Errorf("%d terms; a filter holds at most %d", len(in), MaxTerms)
	}
	out := make([]wire.ChatTerm, 0, len(in))
	index := map[string]int{}
	for i, t := range in {
		term, n := CleanText(t.Term)
		switch {
		case n == 0:
			return nil, fmt.Errorf("term %d is empty", i+1)
		case n > MaxTermChars:
			return nil, fmt.Errorf("term %d is %d characters; the limit is %d", i+1, n, MaxTermChars)
		case actionRank[t.Action] == 0:
			return nil, fmt.Errorf("term %q: action %q is not one of block, hold, mask", term, t.Action)
		}
		key := string(lowerRunes(term))
		if j, ok := index[key]; ok {
			out[j].Action = t.Action
			continue
		}
		index[key] = len(out)
		out = append(out, wire.ChatTerm{Term: term, Action: t.Action})
	}
	return out, nil
}

func lowerRunes(s string) []rune {
	rs := []rune(s)
	for i, c := range rs {
		rs[i] = unicode.ToLower(c)
	}
	return rs
}
