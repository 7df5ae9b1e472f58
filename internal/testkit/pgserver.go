package testkit

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// PostgresServer is a private PostgreSQL for a test that stops and starts
// it (the tests of store/postgres and of petrel serve on PostgreSQL).
type PostgresServer struct {
	t        testing.TB
	bin, dir string
	port     int
}

// StartPostgres initialises and starts a PostgreSQL of its own (the
// binaries of /usr/lib/postgresql, run as user postgres when the test
// runs as root), stopped at the test's end; it skips without
// PETREL_HEAVY or without the binaries.
func StartPostgres(t testing.TB) *PostgresServer {
	t.Helper()
	if os.Getenv("PETREL_HEAVY") == "" {
		t.Skip("PETREL_HEAVY is not set")
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Skip("no PostgreSQL binaries in /usr/lib/postgresql")
	}
	sort.Strings(bins)
	dir, err := os.MkdirTemp("", "petrel-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root without a postgres user")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &PostgresServer{t: t, bin: filepath.Dir(bins[len(bins)-1]), dir: dir, port: port}
	s.run("initdb", "-D", filepath.Join(dir, "db"), "-A", "trust", "-U", "petrel")
	s.Start()
	t.Cleanup(func() { s.pgctl("-m", "immediate", "stop") })
	return s
}

func (s *PostgresServer) run(prog string, args ...string) {
	s.t.Helper()
	name, all := filepath.Join(s.bin, prog), args
	if os.Geteuid() == 0 {
		name, all = "runuser", append([]string{"-u", "postgres", "--", filepath.Join(s.bin, prog)}, args...)
	}
	if out, err := exec.Command(name, all...).CombinedOutput(); err != nil {
		s.t.Fatalf("%s: %v\n%s", prog, err, out)
	}
}

func (s *PostgresServer) pgctl(args ...string) {
	s.t.Helper()
	s.run("pg_ctl", append([]string{"-D", filepath.Join(s.dir, "db"), "-w"}, args...)...)
}

// Start starts the server (again) on its port.
func (s *PostgresServer) Start() {
	s.t.Helper()
	s.pgctl("-l", filepath.Join(s.dir, "log"), "-o", fmt.Sprintf("-h 127.0.0.1 -p %d -k %s", s.port, s.dir), "start")
}

// Stop stops the server the way `pg_ctl stop -m fast` does: sessions are
// ended, the data is consistent.
func (s *PostgresServer) Stop() {
	s.t.Helper()
	s.pgctl("-m", "fast", "stop")
}

// DSN is the URL of the server's database postgres, as its superuser
// petrel.
func (s *PostgresServer) DSN() string {
	return fmt.Sprintf("postgres://petrel@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}
