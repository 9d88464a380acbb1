package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// errCodeNoMessage is the JetStream API's "no message found".
const errCodeNoMessage = 10037

// leaderMsg is a stream's newest message on a subject as the stream's
// leader has it.
type leaderMsg struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"` // stamped by the leader when stored
	Hdrs []byte    `json:"hdrs"` // "NATS/1.0\r\nKey: value\r\n\r\n"
}

// leaderLast reads the newest message on subject from the leader of
// stream (STREAM.MSG.GET, not a direct get, which any replica may answer).
// found is false when the subject has none.
func (e *Engine) leaderLast(ctx context.Context, stream, subject string) (m leaderMsg, found bool, err error) {
	req, _ := json.Marshal(struct {
		LastFor string `json:"last_by_subj"`
	}{subject})
	msg, err := e.nc.RequestWithContext(ctx, e.apiPrefix+"STREAM.MSG.GET."+stream, req)
	if err != nil {
		return leaderMsg{}, false, err
	}
	var resp struct {
		Error *struct {
			ErrCode     int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
		Message *leaderMsg `json:"message"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return leaderMsg{}, false, err
	}
	if resp.Error != nil {
		if resp.Error.ErrCode == errCodeNoMessage {
			return leaderMsg{}, false, nil
		}
		return leaderMsg{}, false, fmt.Errorf("%d %s", resp.Error.ErrCode, resp.Error.Description)
	}
	if resp.Message == nil {
		return leaderMsg{}, false, fmt.Errorf("empty answer")
	}
	return *resp.Message, true, nil
}

// LeaderTop is ChannelTop answered by the stream's leader. Direct gets
// (ChannelTop, history reads) may be answered by any replica, including
// this node's own, which is behind after it was cut off from the others;
// the leader has every acknowledged publication. It costs a round trip to
// the leader, so it is for catching up, not for every read.
func (e *Engine) LeaderTop(ctx context.Context, ch ChannelRef) (Top, error) {
	s, err := e.stream(ch.Namespace)
	if err != nil {
		return Top{}, err
	}
	m, found, err := e.leaderLast(ctx, s.name, ch.inSubject())
	if err != nil {
		return Top{}, fmt.Errorf("engine: read top of %s from the leader: %w", ch.Name, err)
	}
	if !found {
		return Top{Epoch: s.epoch}, nil
	}
	off, err := offsetHeader(m.Hdrs)
	if err != nil {
		return Top{}, fmt.Errorf("engine: read top of %s from the leader: %w", ch.Name, err)
	}
	return Top{Offset: off, Seq: m.Seq, Epoch: s.epoch}, nil
}

// offsetHeader finds Lr-Offset in a stored message's header block
// ("NATS/1.0\r\nKey: value\r\n\r\n"), as the message get API returns it.
func offsetHeader(block []byte) (uint64, error) {
	if len(block) == 0 {
		return 0, fmt.Errorf("stored message without headers")
	}
	r := textproto.NewReader(bufio.NewReader(strings.NewReader(string(block))))
	if _, err := r.ReadLine(); err != nil { // NATS/1.0
		return 0, fmt.Errorf("bad header block: %w", err)
	}
	h, err := r.ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return 0, fmt.Errorf("bad header block: %w", err)
	}
	off, err := strconv.ParseUint(h.Get(hdrOffset), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stored message without a valid %s header", hdrOffset)
	}
	return off, nil
}
