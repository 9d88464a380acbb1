module github.com/liveroom-dev/liveroom/bench/wslib

go 1.26.8

require (
	github.com/coder/websocket v1.8.15
	github.com/lesismal/nbio v1.6.8
	github.com/lxzan/gws v1.8.9
)

require (
	github.com/dolthub/maphash v0.1.0 // indirect
	github.com/klauspost/compress v1.17.9 // indirect
	github.com/lesismal/llib v1.2.2 // indirect
	golang.org/x/crypto v0.0.0-20210513122933-cd7d49e622d5 // indirect
	golang.org/x/sys v0.0.0-20210423082822-04245dca01da // indirect
)

// The lead's fifth contender (liveroom's own transport) lives in the product
// module; this lets the harness import it from the working tree.
replace github.com/liveroom-dev/liveroom => ../..
