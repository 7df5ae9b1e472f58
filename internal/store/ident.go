package store

import (
	"slices"
	"strconv"
	"strings"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// EmailID identifies a message's immutable content within an account: the
// EMAILID of RFC 8474 §5.1 and the JMAP Email id. It is assigned when the
// message is delivered or appended, kept by COPY and MOVE (RFC 8474 §5.1:
// the copy is the same message) and across restarts, and never handed out
// again for other content. A backend allocates it as a positive integer;
// String is its wire form.
type EmailID int64

// ThreadID identifies a thread of an account: the THREADID of RFC 8474
// §5.2 and the JMAP Thread id. Messages are grouped by their Message-ID,
// In-Reply-To and References fields (ThreadKeys); a message that matches
// no earlier one starts a thread whose ID is the number of its EmailID.
type ThreadID int64

// String is the ID as an RFC 8474 §3 objectid: "M" and the number in base
// 36, well within 1-255 characters of [A-Za-z0-9_-].
func (id EmailID) String() string { return objectID('M', int64(id)) }

// String is the ID as an RFC 8474 §3 objectid: "T" and the number in base
// 36.
func (id ThreadID) String() string { return objectID('T', int64(id)) }

func objectID(prefix byte, n int64) string {
	return string(strconv.AppendUint([]byte{prefix}, uint64(n), 36))
}

// State is an account's change state: a counter that every change to the
// account's mail (deliver, append, flags, copy, move, expunge, mailbox
// create, rename, delete and subscribe) raises by one per call, so that a
// client holding an earlier value knows something changed (the JMAP state
// of RFC 8620 §1.6 is built on it). It survives restarts and never goes
// back.
type State uint64

// Thread keys are bounded: a References field may list hundreds of IDs.
const (
	maxThreadKeys  = 32
	maxThreadKeyLn = 250
)

// ThreadKeys returns the message IDs that place a message in a thread, in
// the order a backend looks them up: the References field (RFC 5322
// §3.6.4) from the first (the thread's root) to the last, then
// In-Reply-To, then the message's own Message-ID. A message joins the
// thread of the first key already known in its account (a reply joins its
// parent's thread; a parent arriving after its reply joins the reply's),
// else starts a new one; its keys then name its thread for later
// messages. IDs are compared as written between the angle brackets,
// without white space. At most 32 keys are returned: the root, the last
// of the References, In-Reply-To and Message-ID.
func ThreadKeys(m *msgmeta.Meta) []string {
	if m == nil {
		return nil
	}
	var refs string
	for _, f := range m.Headers {
		if strings.EqualFold(f.Name, "References") {
			refs = f.Value
			break
		}
	}
	// Each list is cut first (a field may hold thousands of IDs), then
	// duplicates dropped (the first place counts), then the whole cut.
	all := ends(msgIDs(refs), 2*maxThreadKeys)
	all = append(all, ends(msgIDs(m.Envelope.InReplyTo), 4)...)
	all = append(all, ends(msgIDs(m.Envelope.MessageID), 1)...)
	var keys []string
	for _, k := range all {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return ends(keys, maxThreadKeys)
}

// ends keeps the first and the last n-1 of list when it is longer than n.
func ends(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	if n == 1 {
		return list[:1]
	}
	return append(list[:1:1], list[len(list)-n+1:]...)
}

// msgIDs extracts the "<id-left@id-right>" message IDs of a field, without
// their brackets and white space (RFC 5322 §3.6.4; phrases of the obsolete
// syntax and comments outside brackets are skipped). IDs without "@" or
// longer than 250 octets are skipped.
func msgIDs(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			return out
		}
		s = s[i+1:]
		j := strings.IndexAny(s, "<>")
		if j < 0 {
			return out
		}
		if s[j] == '>' {
			id := strings.Join(strings.Fields(s[:j]), "")
			if strings.IndexByte(id, '@') > 0 && len(id) <= maxThreadKeyLn {
				out = append(out, id)
			}
			s = s[j+1:]
		} else {
			s = s[j:]
		}
	}
}
