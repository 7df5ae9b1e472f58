package rspamd

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkScan is Petrel's side of one scan of a 4 KiB message: the
// request with its headers, the body sent, the answer (30 symbols)
// decoded and mapped, the X-Spam-Status field written. The server is an
// httptest one that reads the body and answers at once, so the figure is
// an upper bound of Petrel's own cost (README "Spam and abuse"; the
// server's share is in it).
func BenchmarkScan(b *testing.B) {
	var syms []string
	for i := range 30 {
		syms = append(syms, fmt.Sprintf(`"SYMBOL_%02d":{"name":"SYMBOL_%02d","score":0.%d,"metric_score":0.%d}`, i, i, i%10, i%10))
	}
	answer := `{"is_skipped":false,"score":3.1,"required_score":15,"action":"no action","symbols":{` + strings.Join(syms, ",") + `}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	f := NewFilter(Config{URL: srv.URL}, nil, nil)
	msg := testMessage("bench", strings.Repeat("a line of the body that goes on a while\r\n", 4096/42))
	in := testInput()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if v := f.Scan(context.Background(), in, strings.NewReader(msg), int64(len(msg))); !v.Scanned {
			b.Fatal("not scanned")
		}
	}
}
