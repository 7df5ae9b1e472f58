package imapd

import (
	"bytes"
	"errors"
	"slices"
	"strconv"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// Writing one FETCH response (RFC 9051 §7.5.2): its items, the body
// sections streamed from the blob.

// fetchCtx loads a message's metadata and body at most once (or has
// them from a bulk read).
type fetchCtx struct {
	s       *session
	m       store.Message
	meta    *msgmeta.Meta
	blob    store.Blob
	ownBlob bool // opened here, closed by close
}

func (fc *fetchCtx) getMeta() (*msgmeta.Meta, error) {
	if fc.meta == nil {
		m, err := fc.s.srv.st.Meta(fc.s.ctx, fc.m.Mailbox, fc.m.UID)
		if err != nil {
			return nil, err
		}
		fc.meta = m
	}
	return fc.meta, nil
}

func (fc *fetchCtx) getBlob() (store.Blob, error) {
	if fc.blob == nil {
		b, err := fc.s.srv.st.OpenBlob(fc.s.ctx, fc.m.Blob)
		if err != nil {
			return nil, err
		}
		fc.blob, fc.ownBlob = b, true
	}
	return fc.blob, nil
}

func (fc *fetchCtx) close() {
	if fc.ownBlob {
		fc.blob.Close()
	}
}

// writeFetch writes one FETCH response; d, when not nil, has the
// message's metadata and body from a bulk read.
func (s *session) writeFetch(m store.Message, items []fetchItem, flagsChanged bool, d *store.MessageData) status {
	seq := s.v.seqOf(m.UID)
	if seq == 0 {
		return status{}
	}
	s.prog.step()
	fc := &fetchCtx{s: s, m: m}
	if d != nil {
		fc.meta, fc.blob = d.Meta, d.Body
	}
	defer fc.close()
	if st := s.checkBinary(fc, items); st.kind != "" {
		return st
	}
	if len(m.Keywords) > 0 && (flagsChanged || slices.ContainsFunc(items, isFlagsItem)) {
		s.announceKeywords(m.Keywords)
	}
	uidFetch := s.fetchHead(seq, m.UID)
	var wroteFlags, wroteModSeq bool
	wroteUID := uidFetch
	for i, it := range items {
		if i > 0 {
			s.w.byte(' ')
		}
		switch it.name {
		case "FLAGS":
			wroteFlags = true
		case "UID":
			wroteUID = true
		case "MODSEQ":
			wroteModSeq = true
		}
		if err := s.writeItem(fc, it); err != nil {
			return s.fetchError(err)
		}
	}
	if flagsChanged && !wroteFlags {
		s.w.raw(" FLAGS ")
		s.w.flags(m, s.recentFlag(m.UID))
	}
	if flagsChanged && s.condstore {
		// \Seen set by this FETCH: UID and MODSEQ go with the new
		// flags under CONDSTORE (RFC 7162 §3.1).
		if !wroteUID {
			s.w.raw(" UID ")
			s.w.num32(uint32(m.UID))
		}
		if !wroteModSeq {
			s.w.raw(" MODSEQ (")
			s.w.num(uint64(m.ModSeq))
			s.w.byte(')')
		}
	}
	s.w.raw(")\r\n")
	if wroteFlags && m.ModSeq > s.v.modseq && (wroteModSeq || !s.condstore) {
		// A change the view has not taken in yet, now told: the updates
		// after the command need not repeat it (sync.go).
		s.v.sentFlags[m.UID] = m.ModSeq
	}
	return status{}
}

// checkBinary refuses, before the response line begins, a BINARY item of
// a part whose encoding cannot be decoded: NO [UNKNOWN-CTE] (RFC 3516
// §4.3) and no FETCH response, as a cut one would not be IMAP.
func (s *session) checkBinary(fc *fetchCtx, items []fetchItem) status {
	for _, it := range items {
		if !it.section.Binary {
			continue
		}
		meta, err := fc.getMeta()
		if err != nil {
			return s.storeError("fetch", err)
		}
		if err := imapmsg.CheckBinary(meta, fc.m.Size, it.section.Part); err != nil {
			return unknownCTE
		}
	}
	return status{}
}

var unknownCTE = respNOCode("UNKNOWN-CTE", "Cannot decode the part's content-transfer-encoding")

func isFlagsItem(it fetchItem) bool { return it.name == "FLAGS" }

// fetchError ends a FETCH that failed mid-response. The response line is
// already partly written, so the connection cannot go on cleanly for
// errors other than a missing message.
func (s *session) fetchError(err error) status {
	var ue imapmsg.UnknownEncodingError
	if errors.As(err, &ue) {
		s.w.raw(")\r\n")
		return unknownCTE
	}
	s.w.raw(")\r\n")
	return s.storeError("fetch", err)
}

func (s *session) writeItem(fc *fetchCtx, it fetchItem) error {
	m := fc.m
	switch it.name {
	case "UID":
		s.w.raw("UID ")
		s.w.num32(uint32(m.UID))
	case "FLAGS":
		s.w.raw("FLAGS ")
		s.w.flags(m, s.recentFlag(m.UID))
	case "INTERNALDATE":
		s.w.raw("INTERNALDATE " + imapmsg.InternalDate(m.InternalDate))
	case "RFC822.SIZE":
		s.w.raw("RFC822.SIZE " + strconv.FormatInt(m.Size, 10))
	case "MODSEQ":
		s.w.raw("MODSEQ (")
		s.w.num(uint64(m.ModSeq))
		s.w.byte(')')
	case "ENVELOPE", "BODYSTRUCTURE", "BODY":
		return s.writeMetaItem(fc, it)
	case "EMAILID", "THREADID":
		s.writeObjectIDItem(m, it.name)
	case "SAVEDATE": // RFC 8514 §4.1 (savedate.go)
		s.w.raw("SAVEDATE " + imapmsg.InternalDate(m.SaveDate))
	case "PREVIEW":
		return s.writePreview(fc)
	case "BINARY.SIZE":
		meta, blob, err := fc.both()
		if err != nil {
			return err
		}
		n, err := imapmsg.BinarySize(meta, blob, m.Size, it.section.Part)
		if err != nil {
			return err
		}
		s.w.raw("BINARY.SIZE" + binaryPart(it.section.Part) + " " + strconv.FormatInt(n, 10))
	default:
		return s.writeSection(fc, it)
	}
	return nil
}

func binaryPart(part []int) string {
	b := []byte{'['}
	for i, p := range part {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, int64(p), 10)
	}
	return string(append(b, ']'))
}

func (fc *fetchCtx) both() (*msgmeta.Meta, store.Blob, error) {
	meta, err := fc.getMeta()
	if err != nil {
		return nil, nil, err
	}
	blob, err := fc.getBlob()
	return meta, blob, err
}

func (s *session) writeMetaItem(fc *fetchCtx, it fetchItem) error {
	key := s.itemKey(fc.m.UID, cachedItem(it.name))
	if b, ok := s.srv.items.get(key); ok {
		s.w.Write(b)
		return nil
	}
	meta, err := fc.getMeta()
	if err != nil {
		return err
	}
	buf := &s.metaBuf
	buf.Reset()
	buf.WriteString(it.name + " ")
	switch it.name {
	case "ENVELOPE":
		imapmsg.WriteEnvelope(buf, &meta.Envelope, s.utf8)
	case "BODYSTRUCTURE":
		imapmsg.WriteBodyStructure(buf, &meta.Body, true, s.utf8)
	default:
		imapmsg.WriteBodyStructure(buf, &meta.Body, false, s.utf8)
	}
	s.w.Write(buf.Bytes())
	s.srv.items.put(key, bytes.Clone(buf.Bytes()))
	return nil
}

// writeSection writes BODY[...], BINARY[...] and the RFC822 items, with
// the content streamed from the blob.
func (s *session) writeSection(fc *fetchCtx, it fetchItem) error {
	sec, name := it.section, ""
	switch it.name {
	case "RFC822":
		sec, name = imapmsg.Section{}, "RFC822"
	case "RFC822.HEADER":
		sec, name = imapmsg.Section{Specifier: "HEADER"}, "RFC822.HEADER"
	case "RFC822.TEXT":
		sec, name = imapmsg.Section{Specifier: "TEXT"}, "RFC822.TEXT"
	default:
		name = sec.Name()
	}
	meta, blob, err := fc.both()
	if err != nil {
		return err
	}
	r, n, err := imapmsg.SectionReader(meta, blob, fc.m.Size, sec)
	if err != nil {
		return err
	}
	s.w.raw(name + " ")
	return s.w.literal(n, r, sec.Binary)
}
