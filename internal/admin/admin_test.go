package admin

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/petrelmail/petrel/internal/testkit"
)

// start serves opts on a loopback port and returns its base URL.
func start(t *testing.T, opts Options) string {
	t.Helper()
	l := testkit.Listen(t)
	s := NewServer(Handler(opts), nil)
	s.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return "http://" + l.Addr().String()
}

func TestHealthz(t *testing.T) {
	var broken atomic.Bool
	base := start(t, Options{Health: func(ctx context.Context) error {
		if broken.Load() {
			return errors.New("database is locked: secret detail")
		}
		return nil
	}})
	if code, body := testkit.HTTPGet(t, base+"/healthz"); code != 200 || body != "ok" {
		t.Errorf("healthy: got %d %q, want 200 \"ok\"", code, body)
	}
	broken.Store(true)
	code, body := testkit.HTTPGet(t, base+"/healthz")
	if code != http.StatusServiceUnavailable {
		t.Errorf("unhealthy: got %d, want 503", code)
	}
	if strings.Contains(body, "secret detail") {
		t.Errorf("unhealthy body %q leaks the error text", body)
	}
	resp, err := http.Post(base+"/healthz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: got %d, want 405", resp.StatusCode)
	}
}

func TestHealthzTimesOut(t *testing.T) {
	base := start(t, Options{Health: func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}})
	if code, _ := testkit.HTTPGet(t, base+"/healthz"); code != http.StatusServiceUnavailable {
		t.Errorf("hanging check: got %d, want 503", code)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "petrel_test_things_total", Help: "Things."})
	reg.MustRegister(c)
	c.Add(3)
	base := start(t, Options{Gatherer: reg})
	code, body := testkit.HTTPGet(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("GET /metrics: %d", code)
	}
	if !strings.Contains(body, "petrel_test_things_total 3") {
		t.Errorf("metrics output lacks the counter:\n%s", body)
	}
	if code, _ := testkit.HTTPGet(t, base+"/nothing"); code != http.StatusNotFound {
		t.Errorf("GET /nothing: got %d, want 404", code)
	}
}

func TestShutdownWaitsForRequestInFlight(t *testing.T) {
	l := testkit.Listen(t)
	entered := make(chan struct{})
	release := make(chan struct{})
	s := NewServer(Handler(Options{Health: func(ctx context.Context) error {
		close(entered)
		<-release
		return nil
	}}), nil)
	s.Serve(l)
	got := make(chan int, 1)
	go func() {
		resp, err := http.Get("http://" + l.Addr().String() + "/healthz")
		if err != nil {
			got <- -1
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	<-entered
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- s.Shutdown(ctx)
	}()
	time.Sleep(50 * time.Millisecond)
	if _, err := net.Dial("tcp", l.Addr().String()); err == nil {
		t.Error("listener still accepts after Shutdown started")
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if code := <-got; code != 200 {
		t.Errorf("request in flight got %d, want 200", code)
	}
}
