package imapd

import (
	"bytes"
	"github.com/petrelmail/petrel/internal/imapacl"
	"slices"
	"strings"

	"github.com/petrelmail/petrel/internal/store"
)

// serverMeta: GETMETADATA and SETMETADATA name the server entries with
// the mailbox name "" (RFC 5464 §4.2, §4.3).
const serverMeta = ""

// cmdGetMetadata answers GETMETADATA (RFC 5464 §4.2): the entries asked
// for (NIL when they have no value) and, with DEPTH, those below them;
// with MAXSIZE, values over it are left out and the largest left out is
// told in [METADATA LONGENTRIES n] (§4.2.1).
func (s *session) cmdGetMetadata(_ *command, a *getMetadataArgs) status {
	var mb store.Mailbox
	if a.mailbox != serverMeta {
		var st status
		var ok bool
		if mb, st, ok = s.metadataMailbox(a.mailbox, imapacl.GetMetadata); !ok { // acl.go
			return st
		}
	}
	doc, err := s.loadMeta(mb)
	if err != nil {
		return s.storeError("getmetadata", err)
	}
	all := append(s.fixedEntries(mb, a.mailbox == serverMeta), doc.Entries...)
	var out []metaEntry
	var longest int64 = -1
	sent := map[string]bool{}
	add := func(e metaEntry) {
		if sent[strings.ToLower(e.Name)] {
			return
		}
		sent[strings.ToLower(e.Name)] = true
		if a.maxSize >= 0 && e.Value != nil && int64(len(e.Value)) > a.maxSize {
			longest = max(longest, int64(len(e.Value)))
			return
		}
		out = append(out, e)
	}
	for _, want := range a.entries {
		i := slices.IndexFunc(all, func(e metaEntry) bool { return strings.EqualFold(e.Name, want) })
		if i >= 0 {
			add(all[i])
		} else {
			add(metaEntry{Name: want})
		}
		var below []metaEntry
		for _, e := range all {
			if under(e.Name, want, a.depth) {
				below = append(below, e)
			}
		}
		slices.SortFunc(below, func(x, y metaEntry) int { return strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)) })
		for _, e := range below {
			add(e)
		}
	}
	if len(out) > 0 {
		s.writeMetadata(a.mailbox == serverMeta, mb.Name, out)
	}
	if longest >= 0 {
		return respOKCode("METADATA LONGENTRIES "+itoa64s(longest), "GETMETADATA completed")
	}
	return respOK("GETMETADATA completed")
}

// under reports whether entry lies below want within the depth (RFC 5464
// §4.2.2: 1 is the children, infinity all descendants).
func under(entry, want string, d depth) bool {
	if d == depth0 || len(entry) <= len(want)+1 || !strings.EqualFold(entry[:len(want)], want) || entry[len(want)] != '/' {
		return false
	}
	return d == depthInfinity || !strings.Contains(entry[len(want)+1:], "/")
}

// writeMetadata writes * METADATA mailbox (entry value ...) (RFC 5464
// §4.4.1). A value holding NUL goes in a literal8.
func (s *session) writeMetadata(server bool, name string, entries []metaEntry) {
	s.w.raw("* METADATA ")
	if server {
		s.w.raw(`""`)
	} else {
		s.writeMailbox(name)
	}
	s.w.raw(" (")
	for i, e := range entries {
		if i > 0 {
			s.w.byte(' ')
		}
		s.w.astring(e.Name, false)
		s.w.byte(' ')
		switch {
		case e.Value == nil:
			s.w.raw("NIL")
		case bytes.IndexByte(e.Value, 0) >= 0:
			s.w.raw("~{" + itoa(len(e.Value)) + "}\r\n")
			s.w.Write(e.Value)
		default:
			s.w.str(string(e.Value), s.utf8)
		}
	}
	s.w.raw(")\r\n")
}

// fixedEntries are the entries the server makes up and clients cannot
// set: the server's /shared/admin and /shared/comment (RFC 5464
// §3.2.1.1, from the configuration) and a mailbox's /private/specialuse
// (RFC 6154 §4).
func (s *session) fixedEntries(mb store.Mailbox, server bool) []metaEntry {
	var out []metaEntry
	if server {
		if v := s.srv.cfg.MetadataAdmin; v != "" {
			out = append(out, metaEntry{Name: "/shared/admin", Value: []byte(v)})
		}
		if v := s.srv.cfg.MetadataComment; v != "" {
			out = append(out, metaEntry{Name: "/shared/comment", Value: []byte(v)})
		}
		return out
	}
	if mb.SpecialUse != store.UseNone {
		out = append(out, metaEntry{Name: "/private/specialuse", Value: []byte(mb.SpecialUse)})
	}
	return out
}

// readOnlyEntry reports whether clients may not set an entry: the
// server's /shared entries (shared by every user of the server) and
// /private/specialuse, which the mailbox's attribute gives.
func readOnlyEntry(name string, server bool) bool {
	lower := strings.ToLower(name)
	if server {
		return strings.HasPrefix(lower, sharedPrefix+"/")
	}
	return lower == "/private/specialuse"
}

// cmdSetMetadata answers SETMETADATA (RFC 5464 §4.3): all the entries
// are set (NIL removes one) or none. Over the limits it is NO [METADATA
// MAXSIZE n] (a value too large) or NO [METADATA TOOMANY] (too many
// entries in the mailbox, or too many octets in the account).
func (s *session) cmdSetMetadata(_ *command, a *setMetadataArgs) status {
	var mb store.Mailbox
	server := a.mailbox == serverMeta
	if !server {
		var st status
		var ok bool
		if mb, st, ok = s.metadataMailbox(a.mailbox, imapacl.SetMetadata); !ok { // acl.go
			return st
		}
	}
	cfg := &s.srv.cfg
	for _, e := range a.entries {
		if readOnlyEntry(e.name, server) {
			return respNOCode("NOPERM", "Entry "+e.name+" cannot be set")
		}
		if int64(len(e.value)) > cfg.MetadataMaxSize {
			return respNOCode("METADATA MAXSIZE "+itoa64s(cfg.MetadataMaxSize), "Value too large")
		}
	}
	st, err := s.updateMeta(mb, func(d *metaDoc, used int64) status {
		count, size := len(d.Entries), d.size()
		for _, e := range a.entries {
			i := d.find(e.name)
			switch {
			case e.value == nil && i >= 0:
				d.Entries = slices.Delete(d.Entries, i, i+1)
			case e.value == nil:
			case i >= 0:
				d.Entries[i].Value = e.value
			default:
				d.Entries = append(d.Entries, metaEntry{Name: e.name, Value: e.value})
			}
		}
		if len(d.Entries) > cfg.MetadataMaxEntries && len(d.Entries) > count {
			return respNOCode("METADATA TOOMANY", "Too many entries on this mailbox")
		}
		if n := d.size(); used+n > cfg.MetadataMaxAccountBytes && n > size {
			return respNOCode("METADATA TOOMANY", "Too much metadata in this account")
		}
		return status{}
	})
	if err != nil {
		return s.storeError("setmetadata", err)
	}
	if st.kind != "" {
		return st
	}
	return respOK("SETMETADATA completed")
}
