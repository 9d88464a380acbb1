package wire

// RPC method names served by every liveroom server. Feature issues add
// their own ("chat.send", "poll.vote", …) here.
const (
	// MethodTime returns the server clock: {"time": <Unix time in ms>}.
	// Clients use it (and ConnectResult.time) to align countdowns.
	MethodTime = "time"
)

// TimeResult is the reply of MethodTime.
type TimeResult struct {
	// Time is the server's clock as Unix time in milliseconds.
	Time int64 `json:"time"`
}
