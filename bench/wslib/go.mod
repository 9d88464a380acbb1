module github.com/liveroom-dev/liveroom/bench/wslib

go 1.26.8

require (
	github.com/coder/websocket v1.8.15
	github.com/lesismal/nbio v1.6.8
	github.com/lxzan/gws v1.8.9
)

require (
	github.com/centrifugal/protocol v0.23.1 // indirect
	github.com/shadowspore/fossil-delta v0.0.0-20241213113458-1d797d70cbe3 // indirect
	golang.org/x/text v0.44.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

require (
	github.com/dolthub/maphash v0.1.0 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/lesismal/llib v1.2.2 // indirect
	github.com/liveroom-dev/liveroom v0.0.0-00010101000000-000000000000
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

// The lead's fifth contender (liveroom's own transport) lives in the product
// module; this lets the harness import it from the working tree.
replace github.com/liveroom-dev/liveroom => ../..
