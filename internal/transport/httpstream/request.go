package httpstream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/centrifugal/protocol/cfjson"

	"github.com/liveroom-dev/liveroom/wire"
)

// requestError refuses a request with an HTTP status and a plain-text
// reason that says what was wrong and what to do.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func refusef(status int, format string, args ...any) *requestError {
	return &requestError{status: status, msg: fmt.Sprintf(format, args...)}
}

// protoOf is the encoding a request's Content-Type asks for: Protobuf for
// application/octet-stream, JSON for anything else (the protocol's rule for
// the emulation endpoint, also applied to HTTP-streaming).
func protoOf(r *http.Request) protocol.Type {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && mt == "application/octet-stream" {
		return protocol.TypeProtobuf
	}
	return protocol.TypeJSON
}

// readBody reads a request body of at most limit bytes within timeout
// (counted from now; the headers are already in). It refuses a larger body
// with 413, a body that does not arrive in time with 408.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, timeout time.Duration) ([]byte, *requestError) {
	if r.ContentLength > limit {
		return nil, refusef(http.StatusRequestEntityTooLarge, "request body of %d bytes is larger than the limit of %d bytes", r.ContentLength, limit)
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(timeout))
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err == nil {
		return data, nil
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, refusef(http.StatusRequestEntityTooLarge, "request body is larger than the limit of %d bytes", limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, refusef(http.StatusRequestTimeout, "request body not received within %s; send it at once", timeout)
	}
	return nil, refusef(http.StatusBadRequest, "cannot read the request body: %v", err)
}

// checkConnect checks that msg, the first transport message of a stream in
// encoding proto, is well framed and starts with a connect command that has
// an id. Later commands in msg are left to the hub, which answers each one.
// The error says what is wrong, for a 400.
func checkConnect(proto protocol.Type, msg []byte) error {
	var first []byte
	if proto == protocol.TypeJSON {
		for len(msg) > 0 {
			line, rest, _ := bytes.Cut(msg, []byte{'\n'})
			msg = rest
			if len(bytes.TrimSpace(line)) > 0 {
				first = line
				break
			}
		}
		if first == nil {
			return errors.New("no command: send the connect command")
		}
		var cmd protocol.Command
		if err := cfjson.Unmarshal(first, &cmd, 0); err != nil {
			return fmt.Errorf("the connect command is not a valid JSON command: %s", reason(err))
		}
		return connectOK(&cmd)
	}
	frames, err := splitFrames(msg)
	if err != nil {
		return err
	}
	if len(frames) == 0 {
		return errors.New("no command: send the connect command")
	}
	var cmd protocol.Command
	if err := cmd.UnmarshalCF(frames[0]); err != nil {
		return fmt.Errorf("the connect command is not a valid Protobuf command: %s", reason(err))
	}
	return connectOK(&cmd)
}

func connectOK(cmd *protocol.Command) error {
	switch {
	case cmd.Connect == nil:
		return errors.New("the first command must be connect")
	case cmd.Id == 0:
		return errors.New("the connect command needs a non-zero id")
	}
	return nil
}

// maxFrames bounds the commands one message may hold (as the hub's command
// queue does), so splitting a hostile body costs little.
const maxFrames = 16384

// splitFrames cuts a Protobuf transport message into its commands, each
// prefixed with its length as a varint. It fails on a length that is not a
// valid varint, on one that passes the bytes that follow, and past
// maxFrames. The frames point into msg.
func splitFrames(msg []byte) ([][]byte, error) {
	var frames [][]byte
	for i := 0; len(msg) > 0; i++ {
		if i == maxFrames {
			return nil, fmt.Errorf("more than %d commands in one message", maxFrames)
		}
		n, k := binary.Uvarint(msg)
		if k <= 0 {
			return nil, fmt.Errorf("command %d: its length prefix is not a valid varint", i+1)
		}
		msg = msg[k:]
		if n > uint64(len(msg)) {
			return nil, fmt.Errorf("command %d: its length prefix says %d bytes but %d follow", i+1, n, len(msg))
		}
		frames = append(frames, msg[:n])
		msg = msg[n:]
	}
	return frames, nil
}

// Limits of an emulation request's routing fields.
const (
	maxSessionLen = 128
	maxNodeLen    = 256
)

// emulation is a decoded emulation request.
type emulation struct {
	node    string
	session string
	data    []byte // commands in the connection's encoding
}

// decodeEmulation decodes an emulation request body: a protocol
// EmulationRequest in JSON (data is a JSON string holding the commands) or
// Protobuf (data holds the commands as bytes). Commands longer than limit
// bytes are refused with 413, anything malformed with 400.
func decodeEmulation(proto protocol.Type, body []byte, limit int) (emulation, *requestError) {
	var req protocol.EmulationRequest
	var e emulation
	if proto == protocol.TypeJSON {
		if at := wire.LoneSurrogate(body); at >= 0 {
			// Decoding would turn it into U+FFFD inside the commands.
			return e, refusef(http.StatusBadRequest, "emulation request: the \\u escape at byte %d is half of a UTF-16 surrogate pair", at)
		}
		if err := cfjson.Unmarshal(body, &req, 0); err != nil {
			return e, refusef(http.StatusBadRequest, "emulation request is not a valid JSON EmulationRequest {\"session\", \"node\", \"data\"}: %s", reason(err))
		}
		if len(req.Data) > 0 {
			s, err := cfjson.UnmarshalString(req.Data)
			if err != nil {
				return e, refusef(http.StatusBadRequest, "emulation request: data must be a JSON string holding the commands")
			}
			e.data = []byte(s)
		}
	} else {
		if err := req.UnmarshalCF(body); err != nil {
			return e, refusef(http.StatusBadRequest, "emulation request is not a valid Protobuf EmulationRequest: %s", reason(err))
		}
		e.data = req.Data
	}
	e.node, e.session = req.Node, req.Session
	switch {
	case e.session == "":
		return e, refusef(http.StatusBadRequest, "emulation request without session: send the session of the connect reply")
	case len(e.session) > maxSessionLen:
		return e, refusef(http.StatusBadRequest, "emulation request: session is longer than %d bytes", maxSessionLen)
	case len(e.node) > maxNodeLen:
		return e, refusef(http.StatusBadRequest, "emulation request: node is longer than %d bytes", maxNodeLen)
	case len(e.data) == 0:
		return e, refusef(http.StatusBadRequest, "emulation request without data: nothing to deliver")
	case len(e.data) > limit:
		return e, refusef(http.StatusRequestEntityTooLarge, "emulation request: commands of %d bytes are larger than the limit of %d bytes", len(e.data), limit)
	}
	return e, nil
}

// reason is a decoder's error without the codec's package prefix.
func reason(err error) string {
	msg := err.Error()
	for _, p := range []string{"cfjson: ", "proto: ", "cfprotobuf: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}
