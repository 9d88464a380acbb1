package hub

import (
	"maps"
	"slices"
	"strings"
)

// Fingerprints are one-way digests of what a node verifies clients' tokens
// and backends' API calls with (package auth computes them). Nodes announce
// them in their heartbeats, so that a node given other keys than the rest
// of its cluster is found at once, not by users who connect through a
// load balancer and are refused by every other node.
type Fingerprints struct {
	// TokenKeys maps each token key's id (or "#n", its position, for a key
	// without one) to its fingerprint.
	TokenKeys map[string]string `json:"token_keys,omitempty"`
	// APIKey is the fingerprint of the server API key.
	APIKey string `json:"api_key,omitempty"`
}

// keyDifferences compares this node's fingerprints with another node's.
// Problems break something between the two nodes; notes are differences
// that are expected while keys are changed one node at a time.
func (mine Fingerprints) keyDifferences(theirs Fingerprints) (problems, notes []string) {
	if mine.APIKey != "" && theirs.APIKey != "" && mine.APIKey != theirs.APIKey {
		problems = append(problems, "its server API key differs from this node's: a backend's API call is refused "+
			"with 401 by one of the two; give every node the same api.key")
	}
	if len(mine.TokenKeys) == 0 || len(theirs.TokenKeys) == 0 {
		return problems, notes
	}
	var sameID []string
	for id, fp := range mine.TokenKeys {
		if other, ok := theirs.TokenKeys[id]; ok && other != fp && !strings.HasPrefix(id, "#") {
			sameID = append(sameID, id)
		}
	}
	slices.Sort(sameID)
	for _, id := range sameID {
		problems = append(problems, "its token key "+quote(id)+" differs from this node's key of that id: a token "+
			"signed with it is refused with 3500 by one of the two; give every node the same [[auth.keys]]")
	}
	mineSet := slices.Sorted(maps.Values(mine.TokenKeys))
	theirSet := slices.Sorted(maps.Values(theirs.TokenKeys))
	shared := false
	for _, fp := range mineSet {
		shared = shared || slices.Contains(theirSet, fp)
	}
	switch {
	case !shared && len(sameID) == 0:
		problems = append(problems, "it has no token key in common with this node: a token one of the two accepts "+
			"is refused with 3500 by the other; give every node the same [[auth.keys]]")
	case !slices.Equal(slices.Compact(mineSet), slices.Compact(theirSet)) && len(sameID) == 0:
		notes = append(notes, "its token keys are not the same set as this node's (expected while keys are "+
			"rotated node by node): a token signed with a key only one of the two has is refused by the other")
	}
	return problems, notes
}

// quote puts a key id in double quotes for a log line.
func quote(s string) string { return `"` + s + `"` }

// checkKeys logs how a newly heard node's keys differ from this node's.
func (h *Hub) checkKeys(node string, theirs *Fingerprints) {
	if theirs == nil {
		return
	}
	problems, notes := h.cfg.Fingerprints.keyDifferences(*theirs)
	for _, p := range problems {
		h.metrics.keyMismatches.Add(1)
		h.log.Error("node configured with other keys: "+p, "node", node)
	}
	for _, n := range notes {
		h.log.Warn("node configured with other keys: "+n, "node", node)
	}
}
