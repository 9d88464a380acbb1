package websocket

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/lesismal/nbio/logging"
)

// nbio logs through one process-wide logger (its logging package), which by
// default prints to standard output. We install, once, an adapter that
// forwards to the Logger of the most recently started Server; it is the
// only process-wide state this package sets.
var (
	nbioLogOnce   sync.Once
	nbioLogTarget atomic.Pointer[slog.Logger]
)

func routeNbioLogs(l *slog.Logger) {
	nbioLogTarget.Store(l)
	nbioLogOnce.Do(func() { logging.SetLogger(nbioLogger{}) })
}

type nbioLogger struct{}

func (nbioLogger) log(level slog.Level, format string, v ...any) {
	l := nbioLogTarget.Load()
	if l == nil || !l.Enabled(context.Background(), level) {
		return
	}
	l.Log(context.Background(), level, "nbio: "+fmt.Sprintf(format, v...))
}

func (n nbioLogger) Debug(format string, v ...any) { n.log(slog.LevelDebug, format, v...) }
func (n nbioLogger) Info(format string, v ...any)  { n.log(slog.LevelDebug, format, v...) }
func (n nbioLogger) Warn(format string, v ...any)  { n.log(slog.LevelWarn, format, v...) }
func (n nbioLogger) Error(format string, v ...any) { n.log(slog.LevelError, format, v...) }
