package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"
)

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
	req, _ := json.Marshal(struct {
		LastFor string `json:"last_by_subj"`
	}{ch.inSubject()})
	msg, err := e.nc.RequestWithContext(ctx, e.apiPrefix+"STREAM.MSG.GET."+s.name, req)
	if err != nil {
		return Top{}, fmt.Errorf("engine: read top of %s from the leader: %w", ch.Name, err)
	}
	var resp struct {
		Error *struct {
			Code        int    `json:"code"`
			ErrCode     int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
		Message *struct {
			Seq  uint64 `json:"seq"`
			Hdrs []byte `json:"hdrs"`
		} `json:"message"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return Top{}, fmt.Errorf("engine: read top of %s from the leader: %w", ch.Name, err)
	}
	if resp.Error != nil {
		if resp.Error.ErrCode == 10037 { // no message found: never published
			return Top{Epoch: s.epoch}, nil
		}
		return Top{}, fmt.Errorf("engine: read top of %s from the leader: %d %s", ch.Name, resp.Error.ErrCode, resp.Error.Description)
	}
	if resp.Message == nil {
		return Top{}, fmt.Errorf("engine: read top of %s from the leader: empty answer", ch.Name)
	}
	off, err := offsetHeader(resp.Message.Hdrs)
	if err != nil {
		return Top{}, fmt.Errorf("engine: read top of %s from the leader: %w", ch.Name, err)
	}
	return Top{Offset: off, Seq: resp.Message.Seq, Epoch: s.epoch}, nil
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
	v := h.Get(hdrOffset)
	off, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stored message without a valid %s header", hdrOffset)
	}
	return off, nil
}
