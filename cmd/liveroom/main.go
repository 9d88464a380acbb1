// Command liveroom runs a liveroom node, or mints a token with its secret.
//
//	liveroom [--addr 127.0.0.1:8080] [--data-dir ./data] [--nats-url URL] [--config FILE] [--demo]
//	liveroom token --user ID [--name N] [--ttl 1h] [--channels a,b] [--channel CH] [--roles chat:*=moderator] [--data-dir ./data]
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal starts a graceful stop (shutdown.drain_window,
		// then shutdown.timeout at most). Giving the signals back to the
		// runtime's default handling makes a second one end the process
		// at once, for whoever cannot wait. Ends when run returns, too.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
