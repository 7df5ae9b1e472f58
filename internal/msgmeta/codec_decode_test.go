package msgmeta

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// jsonDecode is what Unmarshal did before decodeFast: the reference.
func jsonDecode(b []byte) (*Meta, error) {
	var m Meta
	err := json.Unmarshal(b, &m)
	return &m, err
}

// checkSameDecode fails unless decodeFast, when it accepts b, gives what
// encoding/json gives (without the header fields too).
func checkSameDecode(t *testing.T, b []byte, mustAccept bool) {
	t.Helper()
	for _, headers := range []bool{true, false} {
		fast, ok := decodeFast(b, headers)
		if !ok {
			if mustAccept {
				t.Fatalf("decodeFast(headers %v) refused Marshal output %s", headers, b)
			}
			continue
		}
		ref, err := jsonDecode(b)
		if err != nil {
			t.Fatalf("decodeFast(headers %v) accepted %q, which encoding/json refuses: %v", headers, b, err)
		}
		if !headers {
			ref.Headers = nil
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Fatalf("decodeFast(%s, headers %v) =\n%+v\nencoding/json:\n%+v", b, headers, fast, ref)
		}
	}
	// The envelope alone, where encoding/json reads the whole: the same.
	if env, ok := decodeEnvelope(b); ok {
		if ref, err := jsonDecode(b); err == nil && (env.Version != ref.Version || !reflect.DeepEqual(env.Envelope, ref.Envelope)) {
			t.Fatalf("decodeEnvelope(%s) = %+v, encoding/json: %+v", b, env.Envelope, ref.Envelope)
		}
	}
}

func corpus(t testing.TB) [][]byte {
	files, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	var out [][]byte
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw)
	}
	return out
}

func TestDecodeFastCorpus(t *testing.T) {
	for _, raw := range corpus(t) {
		b, err := Marshal(ParseBytes(raw))
		if err != nil {
			t.Fatal(err)
		}
		checkSameDecode(t, b, true)
	}
}

func TestDecodeFastStrings(t *testing.T) {
	for _, s := range []string{
		`plain`, `quote " and backslash \`, "tab\tnew line\ncarriage\r", "\x00\x01\x1f\x7f",
		"Grüße 会議 \U0001F600", "<html> & \u2028\u2029", "", `\u00e9 stays literal`,
	} {
		m := &Meta{Version: 1, Envelope: Envelope{Subject: s}, Headers: []Field{{Name: "X", Value: s}},
			Body: Part{Type: "text", Subtype: "plain", Params: []Param{{Name: "name", Value: s}}, Language: []string{s}}}
		b, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		checkSameDecode(t, b, true)
		got, err := Unmarshal(b)
		if err != nil || got.Envelope.Subject != s {
			t.Errorf("Unmarshal(Marshal(%q)) = %q, %v", s, got.Envelope.Subject, err)
		}
	}
	// Escapes Marshal does not write but JSON allows.
	for _, in := range []string{
		`{"v":1,"env":{"subj":"\u00e9\/\b\f\uD83D\uDE00"},"body":{"t":"text","st":"plain","off":0,"hs":0,"bs":0,"ln":0}}`,
		" {\n\"v\" : 1 , \"body\" : { \"t\" : \"text\" , \"st\" : \"plain\" , \"off\" : -0 , \"hs\":0,\"bs\":0,\"ln\":0 } } \n",
		`{"v":1,"hdr":[],"env":{"to":[]},"body":{"t":"text","st":"plain","lang":[],"p":[],"ch":[],"off":0,"hs":0,"bs":0,"ln":0}}`,
	} {
		checkSameDecode(t, []byte(in), true)
	}
}

// TestDecodeFastFallsBack: input that Marshal never writes is left to
// encoding/json, so Unmarshal keeps its exact behaviour.
func TestDecodeFastFallsBack(t *testing.T) {
	for _, in := range []string{
		`{"v":1,"body":{"t":"text","st":"plain"},"unknown":true}`,      // unknown key
		`{"V":1,"body":{"t":"text","st":"plain"}}`,                     // keys match case-insensitively in encoding/json
		`{"v":1,"env":null,"body":{"t":"text","st":"plain"}}`,          // null
		`{"v":1,"body":{"t":"text","st":"plain","off":1e3}}`,           // exponent
		`{"v":1.0,"body":{"t":"text","st":"plain"}}`,                   // fraction
		"{\"v\":1,\"env\":{\"subj\":\"bad \xff utf-8\"},\"body\":{}}",  // replaced by U+FFFD
		`{"v":1,"env":{"subj":"lone \ud800 surrogate"},"body":{}}`,     // replaced by U+FFFD
		`{"v":1,"body":{"t":"text","st":"plain"}} trailing`,            // trailing data
		`{"v":1,"body":{"t":"text","st":"plain"}`,                      // truncated
		`{"v":1,"sent":"not a time","body":{"t":"text","st":"plain"}}`, // bad time
		`{"v":99999999999999999999,"body":{"t":"text","st":"plain"}}`,  // out of range
		`{"v":1,"env":{"subj":"raw` + "\t" + `tab"},"body":{}}`,        // control character
		`{"v":1,"body":{"t":"text","st":"plain","msg":null}}`,          // null pointer
		`{"v":1,"hdr":[{"n":"a","v":"b"},],"body":{}}`,                 // trailing comma
		`{"v":1,"env":{"subj":"\x"},"body":{}}`,                        // bad escape
		`{"v":1,"env":{"subj":"\u12"},"body":{}}`,                      // short \u
		`{"v":1,"hdr":[{"n":"a","v":"\x"}],"body":{}}`,                 // bad escape in a header field
		"{\"v\":1,\"hdr\":[{\"n\":\"a\",\"v\":\"\xff\"}],\"body\":{}}", // bad UTF-8 in a header field
		`{"v":1,"hdr":[{"n":"a","v":"\udc00"}],"body":{}}`,             // lone surrogate in a header field
		`{"v":1,"hdr":[{"n":"a","x":"b"}],"body":{}}`,                  // unknown key in a header field
		`{"v":1,"hdr":[1],"body":{}}`,                                  // not a field
		`{"v":1,"body":{"t":"text","st":"plain","off":"0"}}`,           // wrong type
		`[]`,
	} {
		for _, headers := range []bool{true, false} {
			if _, ok := decodeFast([]byte(in), headers); ok {
				t.Errorf("decodeFast(headers %v) accepted %s", headers, in)
			}
		}
		ref, refErr := jsonDecode([]byte(in))
		got, err := Unmarshal([]byte(in))
		if (err == nil) != (refErr == nil && ref.Version >= 1 && ref.Version <= Version) {
			t.Errorf("Unmarshal(%s) error %v, encoding/json %v (version %d)", in, err, refErr, ref.Version)
		}
		if err == nil && !reflect.DeepEqual(got, ref) {
			t.Errorf("Unmarshal(%s) = %+v, encoding/json %+v", in, got, ref)
		}
	}
}

// FuzzDecodeFast: whatever decodeFast accepts, encoding/json decodes to
// the same Meta.
func FuzzDecodeFast(f *testing.F) {
	for _, raw := range corpus(f) {
		b, err := Marshal(ParseBytes(raw))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"v":1,"env":{"subj":"\u00e9\uD83D\uDE00"},"body":{"t":"text"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkSameDecode(t, b, false)
	})
}

func BenchmarkUnmarshal(b *testing.B) {
	var metas [][]byte
	for _, raw := range corpus(b) {
		m, err := Marshal(ParseBytes(raw))
		if err != nil {
			b.Fatal(err)
		}
		metas = append(metas, m)
	}
	for _, c := range []struct {
		name string
		fn   func([]byte) (*Meta, error)
	}{{"fast", Unmarshal}, {"encoding-json", jsonDecode}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				for _, m := range metas {
					if _, err := c.fn(m); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
