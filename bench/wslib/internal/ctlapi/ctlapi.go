// Package ctlapi holds the JSON shapes of wsserver's control API, shared by
// the server and the bench runner.
package ctlapi

import "github.com/liveroom-dev/liveroom/bench/wslib/contender"

// Stats is the answer of GET /stats.
type Stats struct {
	RSS        int64     `json:"rss"` // VmRSS, bytes
	HeapInuse  int64     `json:"heap_inuse"`
	HeapSys    int64     `json:"heap_sys"`
	StackInuse int64     `json:"stack_inuse"`
	Sys        int64     `json:"sys"`
	Goroutines int64     `json:"goroutines"`
	Conns      int64     `json:"conns"`
	Broadcast  Broadcast `json:"broadcast"`
}

// Broadcast is the state of the last broadcast, and the answer of
// POST /broadcast.
type Broadcast struct {
	State   string                    `json:"state"` // "idle", "running" or "done"
	Size    int                       `json:"size"`
	Count   int                       `json:"count"`
	StartNS int64                     `json:"start_ns"` // Unix time just before the first write
	EndNS   int64                     `json:"end_ns"`   // Unix time when all was handed to the kernel
	Result  contender.BroadcastResult `json:"result"`
}
