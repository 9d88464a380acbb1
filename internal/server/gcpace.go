package server

import (
	"context"
	"os"

	"github.com/liveroom-dev/liveroom/internal/gcpace"
)

// startGCPacer starts the collector pacer (decision 0023) unless it is off
// in the configuration or the operator set GOGC.
func (s *Server) startGCPacer() {
	if s.gcPacing() != "on" {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.gcStop, s.gcDone = cancel, make(chan struct{})
	go func() {
		defer close(s.gcDone)
		gcpace.Run(ctx, gcpace.Config{
			Period:      s.cfg.GC.Period.Duration(),
			MaxHeadroom: int64(s.cfg.GC.MaxHeadroom),
			Logger:      s.log.With("component", "gc"),
		})
	}()
}

// gcPacing says whether the pacer runs, for the start-up line: "on", "off"
// (gc.period = 0) or "off: GOGC is set".
func (s *Server) gcPacing() string {
	switch {
	case s.cfg.GC.Period <= 0:
		return "off"
	case os.Getenv("GOGC") != "":
		return "off: GOGC is set"
	}
	return "on"
}
