package msgmeta

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// checkEnvelopeOnly fails unless UnmarshalEnvelope of b gives the version
// and the envelope of want.
func checkEnvelopeOnly(t *testing.T, b []byte, want *Meta) *Meta {
	t.Helper()
	got, err := UnmarshalEnvelope(b)
	if err != nil {
		t.Fatalf("UnmarshalEnvelope: %v", err)
	}
	if got.Version != want.Version || !reflect.DeepEqual(got.Envelope, want.Envelope) {
		t.Fatalf("UnmarshalEnvelope: version %d envelope %+v, want %d %+v", got.Version, got.Envelope, want.Version, want.Envelope)
	}
	return got
}

// TestUnmarshalEnvelope: the envelope alone, as Unmarshal decodes it,
// for every message of the corpus, without the structure or the fields.
func TestUnmarshalEnvelope(t *testing.T) {
	for _, raw := range corpus(t) {
		m := ParseBytes(raw)
		b, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got := checkEnvelopeOnly(t, b, m)
		if got.Body.Type != "" || got.Headers != nil {
			t.Fatalf("UnmarshalEnvelope decoded more than the envelope: body %q, %d fields", got.Body.Type, len(got.Headers))
		}
	}
}

// TestUnmarshalEnvelopeLarge: an envelope past the prefix first copied
// (300 recipients) is decoded whole.
func TestUnmarshalEnvelopeLarge(t *testing.T) {
	var to []string
	for i := range 300 {
		to = append(to, fmt.Sprintf("Recipient %d <r%d@example.org>", i, i))
	}
	m := ParseBytes([]byte(crlf("From: a@example.org\nTo: " + strings.Join(to, ",\n ") + "\nSubject: many\n\nbody\n")))
	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if i := strings.Index(string(b), `"body"`); i < envelopePrefix {
		t.Fatalf("the envelope ends at %d, within the prefix %d: not the case under test", i, envelopePrefix)
	}
	if len(checkEnvelopeOnly(t, b, m).Envelope.To) != 300 {
		t.Fatal("not 300 recipients")
	}
}

// TestUnmarshalEnvelopeOtherOrder: metadata not in Marshal's order is
// decoded whole; a version it does not know is refused.
func TestUnmarshalEnvelopeOtherOrder(t *testing.T) {
	b := []byte(`{"body":{"t":"text","st":"plain","off":0,"hs":2,"bs":0,"ln":0},"env":{"subj":"s","mid":"<1@x>"},"v":1}`)
	want, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	checkEnvelopeOnly(t, b, want)
	var ve *VersionError
	if _, err := UnmarshalEnvelope([]byte(`{"v":9,"env":{"subj":"s"},"body":{}}`)); !errors.As(err, &ve) || ve.Version != 9 {
		t.Fatalf("version 9: %v, want a VersionError", err)
	}
	if _, err := UnmarshalEnvelope([]byte(`{"v":1,"env":{"subj":"s"}`)); err == nil {
		t.Fatal("metadata cut after the envelope: no error")
	}
}
