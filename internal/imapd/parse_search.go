package imapd

import (
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
)

// savedMark marks a SeqSet/UID key that stands for "$" (RFC 5182).
const savedMark = "$"

// maxSearchDepth bounds the nesting of NOT, OR and parentheses.
const maxSearchDepth = 64

// parseSearch reads SEARCH [RETURN (...)] [CHARSET x] keys (RFC 9051
// §6.4.4, RFC 4731 ESEARCH, RFC 5182 SEARCHRES).
func parseSearch(_ *session, r *reader, c *command) error {
	a := &searchArgs{}
	c.search = a
	if err := r.sp(); err != nil {
		return err
	}
	if r.hasWord("RETURN") {
		a.esearch = true
		a.ret = []string{}
		err := r.list(func() error {
			opt := strings.ToUpper(r.atomWith(isNameChar))
			switch opt {
			case "MIN", "MAX", "ALL", "COUNT", "SAVE":
				a.ret = append(a.ret, opt)
				return nil
			}
			return errSyntax("Unknown SEARCH return option")
		})
		if err != nil {
			return err
		}
		if err := r.sp(); err != nil {
			return err
		}
	}
	if r.hasWord("CHARSET") {
		cs, err := r.astring()
		if err != nil {
			return err
		}
		a.charset = strings.ToUpper(cs)
		if err := r.sp(); err != nil {
			return err
		}
	}
	and := imapmsg.SearchKey{Kind: imapmsg.And}
	for {
		k, err := r.searchKey(0)
		if err != nil {
			return err
		}
		and.Children = append(and.Children, k)
		if r.peek() != ' ' {
			break
		}
		r.pos++
	}
	a.key = and
	if len(and.Children) == 1 {
		a.key = and.Children[0]
	}
	return nil
}

// hasWord consumes word followed by SP when it is next (case-insensitive).
func (r *reader) hasWord(word string) bool {
	end := r.pos + len(word)
	if end < len(r.line) && r.line[end] == ' ' && strings.EqualFold(string(r.line[r.pos:end]), word) {
		r.pos = end + 1
		return true
	}
	return false
}

// searchKey reads one search-key.
func (r *reader) searchKey(depth int) (imapmsg.SearchKey, error) {
	if depth > maxSearchDepth {
		return imapmsg.SearchKey{}, errSyntax("Search key nested too deeply")
	}
	switch c := r.peek(); {
	case c == '(':
		k := imapmsg.SearchKey{Kind: imapmsg.And}
		err := r.list(func() error {
			sub, err := r.searchKey(depth + 1)
			k.Children = append(k.Children, sub)
			return err
		})
		if err == nil && len(k.Children) == 0 {
			err = errSyntax("Empty search key list")
		}
		return k, err
	case c == '*' || c == '$' || c >= '1' && c <= '9':
		set, err := r.numSet()
		return setKey(imapmsg.SeqSet, set), err
	}
	name := strings.ToUpper(r.atomWith(isNameChar))
	if k, ok := simpleSearchKeys(name); ok {
		return imapmsg.SearchKey{Kind: k}, nil
	}
	if name == "" {
		return imapmsg.SearchKey{}, errSyntax("Expected a search key")
	}
	if err := r.sp(); err != nil {
		return imapmsg.SearchKey{}, err
	}
	return r.searchKeyArgs(name, depth)
}

func setKey(kind imapmsg.SearchKind, set numSet) imapmsg.SearchKey {
	k := imapmsg.SearchKey{Kind: kind}
	if set.saved {
		k.Text = savedMark
		return k
	}
	for _, rg := range set.ranges {
		k.UIDs = append(k.UIDs, imapmsg.UIDRange{Lo: store.UID(rg.lo), Hi: store.UID(rg.hi)})
	}
	return k
}

func simpleSearchKeys(name string) (imapmsg.SearchKind, bool) {
	switch name {
	case "ALL":
		return imapmsg.All, true
	case "ANSWERED":
		return imapmsg.Answered, true
	case "DELETED":
		return imapmsg.Deleted, true
	case "DRAFT":
		return imapmsg.Draft, true
	case "FLAGGED":
		return imapmsg.Flagged, true
	case "SEEN":
		return imapmsg.Seen, true
	case "UNANSWERED":
		return imapmsg.Unanswered, true
	case "UNDELETED":
		return imapmsg.Undeleted, true
	case "UNDRAFT":
		return imapmsg.Undraft, true
	case "UNFLAGGED":
		return imapmsg.Unflagged, true
	case "UNSEEN":
		return imapmsg.Unseen, true
	case "NEW":
		return imapmsg.New, true
	case "OLD":
		return imapmsg.Old, true
	case "RECENT":
		return imapmsg.Recent, true
	}
	return 0, false
}

// searchKeyArgs reads the arguments of the keys that take some.
func (r *reader) searchKeyArgs(name string, depth int) (imapmsg.SearchKey, error) {
	k := imapmsg.SearchKey{}
	var err error
	switch name {
	case "BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO":
		k.Kind = map[string]imapmsg.SearchKind{"BCC": imapmsg.Bcc, "BODY": imapmsg.Body, "CC": imapmsg.Cc,
			"FROM": imapmsg.From, "SUBJECT": imapmsg.Subject, "TEXT": imapmsg.Text, "TO": imapmsg.To}[name]
		k.Text, err = r.astring()
	case "KEYWORD", "UNKEYWORD":
		k.Kind = imapmsg.Keyword
		if name == "UNKEYWORD" {
			k.Kind = imapmsg.Unkeyword
		}
		k.Text, err = r.flag()
	case "BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE":
		k.Kind = map[string]imapmsg.SearchKind{"BEFORE": imapmsg.Before, "ON": imapmsg.On, "SINCE": imapmsg.Since,
			"SENTBEFORE": imapmsg.SentBefore, "SENTON": imapmsg.SentOn, "SENTSINCE": imapmsg.SentSince}[name]
		k.Date, err = r.searchDate()
	case "LARGER", "SMALLER":
		k.Kind = imapmsg.Larger
		if name == "SMALLER" {
			k.Kind = imapmsg.Smaller
		}
		var n uint64
		n, err = r.number()
		k.Number = int64(n)
	case "HEADER":
		k.Kind = imapmsg.Header
		if k.Field, err = r.astring(); err == nil {
			if err = r.sp(); err == nil {
				k.Text, err = r.astring()
			}
		}
	case "UID":
		var set numSet
		set, err = r.numSet()
		k = setKey(imapmsg.UID, set)
	case "NOT":
		var sub imapmsg.SearchKey
		sub, err = r.searchKey(depth + 1)
		k = imapmsg.SearchKey{Kind: imapmsg.Not, Children: []imapmsg.SearchKey{sub}}
	case "OR":
		k, err = r.searchOr(depth)
	case "MODSEQ":
		k, err = r.searchModSeq()
	default:
		err = errSyntax("Unknown search key")
	}
	return k, err
}

func (r *reader) searchOr(depth int) (imapmsg.SearchKey, error) {
	a, err := r.searchKey(depth + 1)
	if err != nil {
		return a, err
	}
	if err := r.sp(); err != nil {
		return a, err
	}
	b, err := r.searchKey(depth + 1)
	return imapmsg.SearchKey{Kind: imapmsg.Or, Children: []imapmsg.SearchKey{a, b}}, err
}

// searchModSeq reads MODSEQ [entry-name entry-type-req] mod-sequence-valzer
// (RFC 7162 §3.1.5); the entry name is accepted and ignored: Petrel keeps
// one mod-sequence per message.
func (r *reader) searchModSeq() (imapmsg.SearchKey, error) {
	k := imapmsg.SearchKey{Kind: imapmsg.ModSeq}
	if r.peek() == '"' {
		if _, err := r.quoted(); err != nil {
			return k, err
		}
		if err := r.sp(); err != nil {
			return k, err
		}
		t := strings.ToLower(r.atomWith(isNameChar))
		if t != "priv" && t != "shared" && t != "all" {
			return k, errSyntax("Bad MODSEQ entry type")
		}
		if err := r.sp(); err != nil {
			return k, err
		}
	}
	n, err := r.number()
	k.Number = int64(n)
	return k, err
}

// searchDate reads date = date-text / DQUOTE date-text DQUOTE
// ("1-Feb-1994").
func (r *reader) searchDate() (time.Time, error) {
	var s string
	var err error
	if r.peek() == '"' {
		s, err = r.quoted()
	} else {
		s = r.atomWith(func(b byte) bool { return isNameChar(b) })
	}
	if err != nil {
		return time.Time{}, err
	}
	t, perr := time.Parse("2-Jan-2006", s)
	if perr != nil {
		return time.Time{}, errSyntax("Bad date")
	}
	return t, nil
}
