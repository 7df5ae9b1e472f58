package msgmeta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// VersionError is returned by Unmarshal for a layout version it does not know.
type VersionError struct {
	Version int
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("msgmeta: unsupported layout version %d (know 1 to %d)", e.Version, Version)
}

// Marshal encodes m as compact JSON (no HTML escaping, no final newline).
func Marshal(m *Meta) ([]byte, error) {
	if m == nil {
		return nil, errors.New("msgmeta: Marshal of nil Meta")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("msgmeta: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// Unmarshal decodes what Marshal encoded. It fails on malformed JSON and,
// with a *VersionError, on a layout version other than 1 to Version.
func Unmarshal(b []byte) (*Meta, error) {
	return unmarshal(b, true)
}

// UnmarshalWithoutHeaders is Unmarshal leaving Meta.Headers out: IMAP
// FETCH needs the envelope and the structure, not the decoded fields,
// which are half of the metadata of a typical message.
func UnmarshalWithoutHeaders(b []byte) (*Meta, error) {
	m, err := unmarshal(b, false)
	if m != nil {
		m.Headers = nil
	}
	return m, err
}

// UnmarshalEnvelope decodes only the version and the envelope of what
// Marshal encoded, for a FETCH whose only metadata item is ENVELOPE (a
// client's header scan, UID FETCH 1:* (FLAGS ENVELOPE)): the structure
// and the header fields, most of the metadata, are not decoded, and
// Meta.Body and Meta.Headers stay zero. Marshal writes "v" and "env"
// first; metadata that does not start so is decoded whole (without
// headers), and then Body is filled.
func UnmarshalEnvelope(b []byte) (*Meta, error) {
	if m, ok := decodeEnvelope(b); ok {
		if m.Version < 1 || m.Version > Version {
			return nil, &VersionError{Version: m.Version}
		}
		return m, nil
	}
	return UnmarshalWithoutHeaders(b)
}

func unmarshal(b []byte, headers bool) (*Meta, error) {
	if m, ok := decodeFast(b, headers); ok {
		if m.Version < 1 || m.Version > Version {
			return nil, &VersionError{Version: m.Version}
		}
		return m, nil
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("msgmeta: %w", err)
	}
	if m.Version < 1 || m.Version > Version {
		return nil, &VersionError{Version: m.Version}
	}
	return &m, nil
}
