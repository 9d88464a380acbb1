package wire

import "strings"

// Roles a user can hold in a scope. Features decide what each allows; the
// chat gives owners and moderators its moderation rights, and support chat
// gives agents its queue.
const (
	RoleOwner     = "owner"     // all rights in the scope, including granting moderator
	RoleModerator = "moderator" // moderation rights in the scope
	RoleAgent     = "agent"     // answers support conversations
)

// KnownRole reports whether r is one of the roles above.
func KnownRole(r string) bool {
	return r == RoleOwner || r == RoleModerator || r == RoleAgent
}

// Roles is the "roles" claim of a connection token: scope → roles. A scope
// is a channel name ("chat:lobby"), every channel of a namespace
// ("chat:*"), or everything ("*"). Example:
//
//	"roles": {"chat:lobby": ["owner"], "chat:*": ["moderator"], "support:*": ["agent"]}
//
// The claim is optional; roles can also be granted inside a room (see
// docs/chat.md). At most MaxRoleScopes scopes with MaxRolesPerScope roles
// each; unknown role names are kept (a newer server may know them).
type Roles map[string][]string

// Limits of the roles claim.
const (
	MaxRoleScopes    = 64
	MaxRolesPerScope = 8
	MaxRoleBytes     = 64 // one scope or role name
)

// For returns the roles that apply to channel: those of its exact scope,
// of its namespace's "ns:*" scope and of "*", without duplicates, in that
// order.
func (r Roles) For(channel string) []string {
	if len(r) == 0 {
		return nil
	}
	var out []string
	add := func(list []string) {
		for _, role := range list {
			dup := false
			for _, have := range out {
				if have == role {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, role)
			}
		}
	}
	add(r[channel])
	if ns, _, ok := strings.Cut(channel, ":"); ok {
		add(r[ns+":*"])
	}
	add(r["*"])
	return out
}

// HasRole reports whether role is in list.
func HasRole(list []string, role string) bool {
	for _, r := range list {
		if r == role {
			return true
		}
	}
	return false
}
