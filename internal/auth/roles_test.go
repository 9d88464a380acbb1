package auth

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

func TestRolesClaim(t *testing.T) {
	v := hsVerifier(t, VerifierConfig{})
	exp := unix(time.Hour)
	c, err := v.VerifyConnect(hsToken(fmt.Sprintf(`{"sub":"mia","exp":%d,"roles":{"chat:lobby":["owner"],"chat:*":["moderator","owner"],"*":["agent"]}}`, exp)), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Roles.For("chat:lobby"); !slices.Equal(got, []string{"owner", "moderator", "agent"}) {
		t.Fatalf("roles for chat:lobby = %v", got)
	}
	if got := c.Roles.For("chat:other"); !slices.Equal(got, []string{"moderator", "owner", "agent"}) {
		t.Fatalf("roles for chat:other = %v", got)
	}
	if got := c.Roles.For("support:1"); !slices.Equal(got, []string{"agent"}) {
		t.Fatalf("roles for support:1 = %v", got)
	}
	none, err := v.VerifyConnect(hsToken(fmt.Sprintf(`{"sub":"bob","exp":%d,"roles":null}`, exp)), testNow)
	if err != nil || none.Roles != nil || none.Roles.For("chat:lobby") != nil {
		t.Fatalf("null roles: %+v, %v", none, err)
	}

	many := make([]string, wire.MaxRoleScopes+1)
	for i := range many {
		many[i] = fmt.Sprintf(`"s%d":["moderator"]`, i)
	}
	for _, bad := range []struct{ name, roles, want string }{
		{"array", `["moderator"]`, "must be an object"},
		{"string role list", `{"*":"moderator"}`, "must be an object"},
		{"number role", `{"*":[1]}`, "must be an object"},
		{"empty role", `{"*":[""]}`, "empty or over-long"},
		{"null role", `{"*":[null]}`, "empty or over-long"},
		{"empty scope", `{"":["moderator"]}`, "must be 1–64 bytes"},
		{"too many scopes", "{" + strings.Join(many, ",") + "}", "scopes; the limit is 64"},
		{"too many roles", `{"*":["a","b","c","d","e","f","g","h","i"]}`, "9 roles; the limit is 8"},
		{"twice", `{"*":["a"]},"roles":{"*":["b"]}`, `"roles" appears twice`},
	} {
		t.Run(bad.name, func(t *testing.T) {
			_, err := v.VerifyConnect(hsToken(fmt.Sprintf(`{"sub":"x","exp":%d,"roles":%s}`, exp, bad.roles)), testNow)
			wantInvalid(t, err, bad.want)
		})
	}
}

func TestMintRoles(t *testing.T) {
	key, err := NewHMACKey("", strings.Repeat("k", 32))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Mint(key, MintClaims{User: "mia", TTL: time.Hour, IssuedAt: testNow, Roles: wire.Roles{"chat:*": {"moderator"}}})
	if err != nil {
		t.Fatal(err)
	}
	set, err := NewKeySet(key)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(VerifierConfig{Keys: set})
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.VerifyConnect(tok, testNow)
	if err != nil || !slices.Equal(c.Roles.For("chat:lobby"), []string{"moderator"}) {
		t.Fatalf("minted roles: %+v, %v", c, err)
	}
}
