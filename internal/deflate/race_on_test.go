//go:build race

package deflate

// raceEnabled: under the race detector sync.Pool drops a share of what is
// put back on purpose, so allocation counts of pooled code vary by run.
const raceEnabled = true
