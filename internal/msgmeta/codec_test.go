package msgmeta

import (
	"errors"
	"strings"
	"testing"
)

func TestMarshalCompact(t *testing.T) {
	m := ParseBytes(readTestdata(t, "simple.eml"))
	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.Contains(s, "\\u003c") || strings.HasSuffix(s, "\n") || strings.Contains(s, "\n ") {
		t.Errorf("not compact: %s", s)
	}
	if !strings.Contains(s, `"mid":"<20240603100000.1234@example.org>"`) {
		t.Errorf("message-id not found in %s", s)
	}
}

func TestUnmarshalErrors(t *testing.T) {
	var ve *VersionError
	if _, err := Unmarshal([]byte(`{"v":99,"body":{"t":"text","st":"plain"}}`)); !errors.As(err, &ve) || ve.Version != 99 {
		t.Errorf("version 99: %v", err)
	}
	if _, err := Unmarshal([]byte(`{"body":{}}`)); !errors.As(err, &ve) {
		t.Errorf("no version: %v", err)
	}
	if _, err := Unmarshal([]byte(`{"v":1,`)); err == nil {
		t.Error("truncated JSON accepted")
	}
	if _, err := Marshal(nil); err == nil {
		t.Error("Marshal(nil) succeeded")
	}
}
