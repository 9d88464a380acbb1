package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// api calls POST /api/<method> with body and decodes the answer into out
// (when not nil). A status other than 200 is an error with the body. The
// three targets answer the same shapes.
func (t *target) api(ctx context.Context, c *http.Client, method string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+"/api/"+method, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("api %s: %w", method, err)
	}
	req.Header.Set("X-API-Key", t.spec.APIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("api %s: %w", method, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("api %s: read answer: %w", method, err)
	}
	if resp.StatusCode != http.StatusOK {
		return &apiError{Method: method, Status: resp.StatusCode, Body: string(bytes.TrimSpace(data))}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("api %s: answer: %w", method, err)
		}
	}
	return nil
}

// apiError is an API answer other than 200.
type apiError struct {
	Method string
	Status int
	Body   string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("api %s: status %d: %s", e.Method, e.Status, e.Body)
}

// nodeInfo is one node of the info method's answer.
type nodeInfo struct {
	Clients       int64 `json:"clients"`
	Subscriptions int64 `json:"subscriptions"`
	Channels      int64 `json:"channels"`
}

// info returns the first node's counts from POST /api/info.
func (t *target) info(ctx context.Context) (nodeInfo, error) {
	var out struct {
		Nodes []nodeInfo `json:"nodes"`
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := t.api(ctx, http.DefaultClient, "info", []byte("{}"), &out); err != nil {
		return nodeInfo{}, err
	}
	if len(out.Nodes) == 0 {
		return nodeInfo{}, errors.New("api info: no nodes")
	}
	return out.Nodes[0], nil
}

// publishAnswer is the publish method's answer: the publication's position
// in a channel with history (liveroom, centrifuge) or the peer's counter
// (socketio).
type publishAnswer struct {
	Offset uint64 `json:"offset"`
	Epoch  string `json:"epoch"`
}
