package hub

import (
	"strings"
	"testing"
)

func TestKeyDifferences(t *testing.T) {
	base := Fingerprints{TokenKeys: map[string]string{"k1": "aa", "k2": "bb"}, APIKey: "api"}
	cases := []struct {
		name           string
		theirs         Fingerprints
		problems, note []string // substrings, in order
	}{
		{"same keys", Fingerprints{TokenKeys: map[string]string{"k1": "aa", "k2": "bb"}, APIKey: "api"}, nil, nil},
		{"same keys, other ids", Fingerprints{TokenKeys: map[string]string{"#1": "aa", "#2": "bb"}, APIKey: "api"}, nil, nil},
		{"another API key", Fingerprints{TokenKeys: base.TokenKeys, APIKey: "other"}, []string{"server API key"}, nil},
		{"one id, another secret", Fingerprints{TokenKeys: map[string]string{"k1": "zz", "k2": "bb"}, APIKey: "api"},
			[]string{`token key "k1"`}, nil},
		{"no key in common", Fingerprints{TokenKeys: map[string]string{"#1": "zz"}, APIKey: "api"},
			[]string{"no token key in common"}, nil},
		{"a rotation half done", Fingerprints{TokenKeys: map[string]string{"k1": "aa"}, APIKey: "api"},
			nil, []string{"rotated node by node"}},
		{"a node that does not say", Fingerprints{}, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			problems, notes := base.keyDifferences(tc.theirs)
			match := func(what string, got, want []string) {
				if len(got) != len(want) {
					t.Fatalf("%s: %q; want %d naming %q", what, got, len(want), want)
				}
				for i := range want {
					if !strings.Contains(got[i], want[i]) {
						t.Fatalf("%s %d: %q; want it to name %q", what, i, got[i], want[i])
					}
				}
			}
			match("problems", problems, tc.problems)
			match("notes", notes, tc.note)
		})
	}
}
