package hub

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/centrifugal/protocol/cfjson"

	"github.com/liveroom-dev/liveroom/wire"
)

// handleJSON decodes newline-separated JSON commands one line at a time, so
// a command whose id can be read but whose body cannot is answered with 107
// for that id while the others in the message still run.
func (c *Client) handleJSON(buf []byte, now time.Time) {
	for len(buf) > 0 {
		line := buf
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			line, buf = buf[:i], buf[i+1:]
		} else {
			buf = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		cmd := &protocol.Command{}
		if err := cfjson.Unmarshal(line, cmd, 0); err != nil {
			id, ok := commandID(line)
			if !ok {
				c.Disconnect(wire.Disconnect{Code: wire.DisconnectBadRequest.Code,
					Reason: truncateReason("malformed command: " + unanswerableReason(line, err))})
				return
			}
			c.refuseInLine(id, wire.Errorf(wire.CodeBadRequest, false, "command %d is malformed: %s", id, commandErrorReason(line, err)))
			continue
		}
		if !c.admitCommand(cmd, now) {
			return
		}
	}
}

func (c *Client) malformed(err error) {
	c.Disconnect(wire.Disconnect{Code: wire.DisconnectBadRequest.Code,
		Reason: truncateReason("malformed command: " + decodeReason(err))})
}

// checkProtobufFraming walks the length prefixes of a Protobuf message:
// commands back to back, each after its length as a varint (the protocol's
// framing). The protocol's decoder stops silently at a prefix that is not a
// varint, which would drop the rest of the message unanswered; this says
// what is wrong instead. It reads the prefixes, and each command's id.
func checkProtobufFraming(msg []byte) error {
	for off := 0; off < len(msg); {
		l, n := binary.Uvarint(msg[off:])
		if n <= 0 {
			return fmt.Errorf("the length before the command at byte %d is not a valid varint of at most 64 bits", off)
		}
		if rest := uint64(len(msg) - off - n); l > rest {
			return fmt.Errorf("the command at byte %d declares %d bytes, but only %d follow", off, l, rest)
		}
		if id, ok := protobufCommandID(msg[off+n : off+n+int(l)]); ok && id > math.MaxUint32 {
			return fmt.Errorf("the command at byte %d has id %d; ids are 1 to %d", off, id, uint32(math.MaxUint32))
		}
		off += n + int(l)
	}
	return nil
}

// protobufCommandID reads the id (field 1, a varint) of one encoded
// Command as the 64-bit value sent. proto3 reads a varint into a uint32
// field by dropping its high bits (protobuf encoding guide, "Varints"), so
// an id of 2^32+2 would be answered as 2 and could collide with another
// command; this finds such ids so they are refused, as in JSON. ok is
// false when there is no id or the fields cannot be walked (the decoder
// then says what is wrong).
func protobufCommandID(cmd []byte) (id uint64, ok bool) {
	for len(cmd) > 0 {
		tag, n := binary.Uvarint(cmd)
		if n <= 0 {
			return 0, false
		}
		cmd = cmd[n:]
		var skip int
		switch wireType := tag & 7; wireType {
		case 0: // varint
			v, m := binary.Uvarint(cmd)
			if m <= 0 {
				return 0, false
			}
			if tag>>3 == 1 {
				id, ok = v, true // the last one wins, as in the decoder
			}
			skip = m
		case 1: // 64-bit
			skip = 8
		case 2: // length-delimited
			l, m := binary.Uvarint(cmd)
			if m <= 0 || l > uint64(len(cmd)-m) {
				return 0, false
			}
			skip = m + int(l)
		case 5: // 32-bit
			skip = 4
		default:
			return 0, false
		}
		if skip > len(cmd) {
			return 0, false
		}
		cmd = cmd[skip:]
	}
	return id, ok
}

// commandErrorReason says what is wrong with a JSON command the decoder
// refused. The protocol's fast decoder reports only a byte offset for a
// value of the wrong type; the standard decoder, run again on this (rare)
// path, names the field and the JSON it needs.
func commandErrorReason(line []byte, err error) string {
	if key := wire.DuplicateKey(line, isCommandPayload); key != "" {
		return fmt.Sprintf("field %q is given twice; give each field once", key)
	}
	cmd := new(protocol.Command)
	if msg, ok := wire.DescribeTypeErrorIn(json.Unmarshal(line, cmd), cmd); ok {
		return msg
	}
	return decodeReason(err)
}

// unanswerableReason says what is wrong with a JSON command that failed to
// decode and whose id cannot be read either (so no reply can carry the
// error): the id itself when it is what is wrong, else the command's
// first problem.
func unanswerableReason(line []byte, err error) string {
	if !json.Valid(line) {
		return decodeReason(err)
	}
	if t := bytes.TrimLeft(line, " \t\r"); len(t) > 0 && t[0] != '{' {
		return "a command must be a JSON object, one per line"
	}
	if key := wire.DuplicateKey(line, isCommandPayload); key != "" {
		return fmt.Sprintf("field %q is given twice; give each field once", key)
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(line, &fields) == nil {
		if id, ok := fields["id"]; ok {
			return fmt.Sprintf(`"id" must be 1 to %d (no sign, fraction or exponent); got %s`, uint32(math.MaxUint32), truncateJSON(id))
		}
	}
	return commandErrorReason(line, err)
}

// truncateJSON shortens a JSON value quoted in an error to 24 bytes (a
// close reason holds at most 123).
func truncateJSON(v []byte) string {
	if len(v) > 24 {
		return string(v[:24]) + "…"
	}
	return string(v)
}

// isCommandPayload reports whether a command path holds the client's own
// data ("publish.data", "rpc.data", …), which is passed on as it is.
func isCommandPayload(path string) bool {
	return strings.Count(path, ".") == 1 && strings.HasSuffix(path, ".data")
}

// decodeReason is a decoder's error without the codec's package prefix.
func decodeReason(err error) string {
	msg := err.Error()
	for _, p := range []string{"cfjson: ", "proto: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}

// commandID reads the id of a JSON command that failed to decode, so the
// error can be answered to that command. It is strict: the line must be
// one valid JSON object with exactly one "id" member whose value is a
// positive integer that fits in 32 bits, written without sign, fraction or
// exponent. Anything else yields ok = false (and the connection is closed).
func commandID(line []byte) (id uint32, ok bool) {
	if !json.Valid(line) {
		return 0, false
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0, false
	}
	found := false
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			return 0, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return 0, false
		}
		if key, _ := keyTok.(string); key != "id" {
			continue
		}
		if found {
			return 0, false // duplicate id: ambiguous
		}
		found = true
		s := string(raw)
		if s == "" || s[0] < '1' || s[0] > '9' {
			return 0, false
		}
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return 0, false
		}
		id = uint32(v)
	}
	return id, found
}
