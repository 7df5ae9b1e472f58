package admin

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HealthTimeout bounds one health check.
const HealthTimeout = 3 * time.Second

// Options configure the handler.
type Options struct {
	// Health reports whether the server can serve mail (typically a cheap
	// store read). nil means always healthy.
	Health func(ctx context.Context) error
	// Gatherer is the metrics registry served on /metrics (nil: no /metrics).
	Gatherer prometheus.Gatherer
	// Logger receives failed health checks; nil discards.
	Logger *slog.Logger
}

// Handler returns the HTTP handler for opts.
func Handler(opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		healthz(w, r, opts)
	})
	if opts.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{
			ErrorLog:      slog.NewLogLogger(opts.Logger.Handler(), slog.LevelError),
			ErrorHandling: promhttp.ContinueOnError,
		}))
	}
	return mux
}

func healthz(w http.ResponseWriter, r *http.Request, opts Options) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if opts.Health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), HealthTimeout)
		defer cancel()
		if err := opts.Health(ctx); err != nil {
			// The cause goes to the log, never to the client.
			opts.Logger.Warn("health check failed", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "unavailable\n")
			return
		}
	}
	io.WriteString(w, "ok")
}

// Server serves the handler on any number of listeners.
type Server struct {
	srv  *http.Server
	wg   sync.WaitGroup
	errc chan error
}

// NewServer returns a server for h.
func NewServer(h http.Handler, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Server{
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
		errc: make(chan error, 1),
	}
}

// Serve starts serving on l in a goroutine. A failure other than a shutdown
// is reported on Err.
func (s *Server) Serve(l net.Listener) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			select {
			case s.errc <- err:
			default:
			}
		}
	}()
}

// Err delivers the first serving failure.
func (s *Server) Err() <-chan error { return s.errc }

// Shutdown stops accepting, waits for requests in flight until ctx ends, and
// then closes the remaining connections.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.srv.Close()
	}
	s.wg.Wait()
	return err
}
