package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// Request bodies are decoded by encoding/json, which matches field names
// without regard to case; so a field written twice in two cases, or in
// another case at all, is refused rather than silently picked, on every
// endpoint that reads a JSON body.
func TestBodiesRefuseCaseVariantsAndDuplicates(t *testing.T) {
	node := testkit.Start(t, nil)
	api := map[string]string{"X-API-Key": node.APIKey}
	for _, tc := range []struct {
		path, body string
		header     map[string]string
		want       string
	}{
		{"/api/publish", `{"channel":"room:a","Channel":"room:b","data":1}`, api, `field "Channel" is given twice`},
		{"/api/publish", `{"Channel":"room:a","data":1}`, api, `field names are lower case ("channel")`},
		{"/api/publish", `{"channel":"room:a","data":1,"Data":2}`, api, `field "Data" is given twice`},
		{"/api/chat_send", `{"as":"alice","room":"dupt","text":"first","text":"second"}`, api, `field "text" is given twice`},
		{"/api/chat_send", `{"as":"alice","AS":"bob","room":"dupt","text":"x"}`, api, `field "AS" is given twice`},
		{"/demo/token", `{"name":"Ada","Name":"Bob"}`, nil, `field "Name" is given twice`},
		{"/account/signin", `{"email":"a@example.com","Email":"b@example.com","password":"x"}`, nil, `field "Email" is given twice`},
	} {
		r := doHTTP(t, node, httpCall{method: http.MethodPost, path: tc.path, raw: []byte(tc.body), header: tc.header})
		if r.status != http.StatusBadRequest || r.errCode() != wire.CodeBadRequest || !strings.Contains(r.errMessage(), tc.want) {
			t.Errorf("POST %s %s: %d %s; want 400, code %d, saying %q", tc.path, tc.body, r.status, r.body, wire.CodeBadRequest, tc.want)
		}
	}
}
