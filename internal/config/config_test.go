package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestDefaultValidates(t *testing.T) {
	if errs := Default().Validate(); errs != nil {
		t.Fatalf("Default().Validate() = %v", errs)
	}
}

func TestDefaultListeners(t *testing.T) {
	want := Listen{
		SMTP:        []string{"127.0.0.1:2525"},
		Submission:  []string{"127.0.0.1:2587"},
		Submissions: []string{"127.0.0.1:2465"},
		IMAP:        []string{"127.0.0.1:2143"},
		IMAPS:       []string{"127.0.0.1:2993"},
		POP3:        []string{"127.0.0.1:2110"},
		POP3S:       []string{"127.0.0.1:2995"},
		HTTP:        []string{"127.0.0.1:2080"},
		LMTP:        []string{},
		HTTPS:       []string{},
		HTTPACME:    []string{},
		ManageSieve: []string{},
	}
	if got := Default().Listen; !reflect.DeepEqual(got, want) {
		t.Errorf("Default().Listen = %+v, want %+v", got, want)
	}
}

func TestDefaultValues(t *testing.T) {
	c := Default()
	if c.DataDir != "./petrel-data" || c.Storage.Driver != "sqlite" || c.Log != (Log{"info", "text"}) {
		t.Errorf("data_dir/storage/log defaults wrong: %+v", c)
	}
	if c.Delivery.MaxMessageSize != 50_000_000 || c.Delivery.RemotePort != 25 {
		t.Errorf("delivery defaults wrong: %+v", c.Delivery)
	}
	if c.Delivery.MaxQueueTime.D() != 120*time.Hour || c.Delivery.DelayWarning.D() != 4*time.Hour {
		t.Errorf("queue times wrong: %+v", c.Delivery)
	}
	if c.Hostname != "localhost" && !validDomain(c.Hostname) {
		t.Errorf("Hostname = %q", c.Hostname)
	}
}

func TestDefaultIsFresh(t *testing.T) {
	a := Default()
	a.Listen.SMTP[0] = "changed:1"
	a.Delivery.Routes["x.org"] = "y:1"
	b := Default()
	if b.Listen.SMTP[0] != "127.0.0.1:2525" || len(b.Delivery.Routes) != 0 {
		t.Fatal("Default shares state between calls")
	}
}

func TestLoadFull(t *testing.T) {
	c, errs := Load("testdata/full.toml")
	if errs != nil {
		t.Fatalf("Load: %v", errs)
	}
	want := Default()
	want.Hostname = "mail.example.org"
	want.Delivery.Routes = map[string]string{"internal.example.org": "10.0.0.5:25"}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load(full.toml) =\n%+v\nwant\n%+v", c, want)
	}
}

func TestParseEmptyIsDefault(t *testing.T) {
	c, errs := Parse("# nothing\n")
	if errs != nil {
		t.Fatalf("Parse: %v", errs)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("empty file = %+v, want defaults", c)
	}
}

func TestLoadMissingFile(t *testing.T) {
	c, errs := Load(filepath.Join(t.TempDir(), "nope.toml"))
	if c != nil || len(errs) != 1 || !os.IsNotExist(errs[0]) {
		t.Fatalf("Load(missing) = %v, %v", c, errs)
	}
}

func TestLocate(t *testing.T) {
	t.Chdir(t.TempDir())
	if p, ok := Locate("/etc/x.toml"); p != "/etc/x.toml" || !ok {
		t.Errorf("Locate(flag) = %q, %v", p, ok)
	}
	if p, ok := Locate(""); p != "" || ok {
		t.Errorf("Locate without file = %q, %v; want demo mode", p, ok)
	}
	if err := os.WriteFile("petrel.toml", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if p, ok := Locate(""); p != "./petrel.toml" || !ok {
		t.Errorf("Locate with ./petrel.toml = %q, %v", p, ok)
	}
}
