package engine

import (
	"errors"
	"fmt"
)

// maxSubjectBytes bounds every subject the engine sends to NATS. A NATS
// server reads a client's protocol line ("PUB <subject> <reply> <size>",
// "SUB <subject> <sid>") up to max_control_line, 4,096 bytes by default
// (nats-server's MAX_CONTROL_LINE_SIZE), and closes the connection that
// sends a longer one with "maximum control line exceeded". The engine has
// one connection for the whole node, and nats.go does not reconnect after
// that error, so one over-long name (a user id of a few thousand bytes,
// tripled by escaping) would end every publish, subscription and key read
// of the node. 3,072 bytes leave room for the verb, a reply inbox and the
// sizes within the default.
const maxSubjectBytes = 3072

// ErrNameTooLong is returned (wrapped) when a channel, user, client id or
// key would make a NATS subject longer than maxSubjectBytes. Nothing was
// sent; retrying with the same name fails the same way.
var ErrNameTooLong = errors.New("engine: name too long")

// checkSubject refuses a subject over maxSubjectBytes. what names the
// operation for the error ("publish", "kv get profiles/…").
func checkSubject(what, subject string) error {
	if len(subject) <= maxSubjectBytes {
		return nil
	}
	return fmt.Errorf("%w: %s: the NATS subject would be %d bytes, at most %d; use a shorter name", ErrNameTooLong, what, len(subject), maxSubjectBytes)
}

// kvSubject is the longest subject a key-value operation on key sends:
// a direct get of the key's last message names the stream and the key's
// subject in its own subject ($JS.API.DIRECT.GET.KV_<b>.$KV.<b>.<key>).
func (e *Engine) kvSubject(bucket, key string) string {
	full := kvBucketPrefix + bucket
	return e.directGet + kvStreamPrefix + full + ".$KV." + full + "." + key
}
