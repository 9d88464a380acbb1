package cluster_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/gorilla/websocket"
)

// rawSub is a cheap subscriber for tests with thousands of connections: a
// bare WebSocket speaking the JSON protocol, one reading goroutine, and
// only what the test checks kept (offsets, link status pushes).
type rawSub struct {
	ws  *websocket.Conn
	wmu sync.Mutex // guards writes

	mu         sync.Mutex
	subscribed bool
	offsets    []uint64
	// statuses are the link status pushes, each with how many publications
	// had arrived before it.
	statuses []rawStatus
	err      error
	done     chan struct{}
}

type rawStatus struct {
	State string
	After int // publications received before this push
}

// dialRawSub connects with token and subscribes to channel in one frame,
// then reads until the connection closes.
func dialRawSub(url, token, channel string) (*rawSub, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 1024}
	ws, _, err := d.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	r := &rawSub{ws: ws, done: make(chan struct{})}
	frame := fmt.Sprintf(`{"id":1,"connect":{"token":%q}}`+"\n"+`{"id":2,"subscribe":{"channel":%q}}`, token, channel)
	if err := r.write([]byte(frame)); err != nil {
		_ = ws.Close()
		return nil, err
	}
	go r.read()
	return r, nil
}

func (r *rawSub) write(data []byte) error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	_ = r.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return r.ws.WriteMessage(websocket.TextMessage, data)
}

func (r *rawSub) read() {
	defer close(r.done)
	for {
		_, data, err := r.ws.ReadMessage()
		if err != nil {
			r.fail(err)
			return
		}
		dec := protocol.NewJSONReplyDecoder(data)
		for {
			rep, derr := dec.Decode()
			if rep != nil {
				r.handle(rep)
			}
			if errors.Is(derr, io.EOF) {
				break
			}
			if derr != nil {
				r.fail(fmt.Errorf("undecodable frame %.100q: %w", data, derr))
				return
			}
		}
	}
}

func (r *rawSub) handle(rep *protocol.Reply) {
	switch {
	case rep.Error != nil:
		r.fail(fmt.Errorf("command %d: error %d %s", rep.Id, rep.Error.Code, rep.Error.Message))
	case rep.Id == 2:
		r.mu.Lock()
		r.subscribed = true
		r.mu.Unlock()
	case rep.Id != 0:
	case rep.Push == nil:
		_ = r.write([]byte("{}")) // pong
	case rep.Push.Pub != nil:
		r.mu.Lock()
		r.offsets = append(r.offsets, rep.Push.Pub.Offset)
		r.mu.Unlock()
	case rep.Push.Message != nil:
		var st struct {
			Type, State string
		}
		if json.Unmarshal(rep.Push.Message.Data, &st) == nil && st.Type == "liveroom.link" {
			r.mu.Lock()
			r.statuses = append(r.statuses, rawStatus{State: st.State, After: len(r.offsets)})
			r.mu.Unlock()
		}
	}
}

func (r *rawSub) fail(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
}

func (r *rawSub) close() {
	_ = r.ws.Close()
	<-r.done
}

// state returns a copy of what the subscriber saw.
func (r *rawSub) state() (subscribed bool, offsets []uint64, statuses []rawStatus, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.subscribed, append([]uint64(nil), r.offsets...), append([]rawStatus(nil), r.statuses...), r.err
}

// dialRawSubs opens n subscribers in parallel (a few dials at a time).
func dialRawSubs(n int, url string, token func(i int) string, channel string) ([]*rawSub, error) {
	subs := make([]*rawSub, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s, err := dialRawSub(url, token(i), channel)
			if err != nil {
				errs <- err
				return
			}
			subs[i] = s
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		for _, s := range subs {
			if s != nil {
				s.close()
			}
		}
		return nil, err
	}
	return subs, nil
}
