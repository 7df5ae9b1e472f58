package testkit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// RspamdServer is a private rspamd (Debian's rspamd, the system's rules)
// with a redis-server of its own for Bayes and its other state, on
// loopback ports, for the tests of the rspamd client and of petrel serve
// with rspamd (README "Spam and abuse").
type RspamdServer struct {
	t          testing.TB
	dir        string
	Normal     string // base URL of the normal worker (/checkv2)
	Controller string // base URL of the controller (/learnspam, /stat)
	Password   string
	stop       func()
}

// RspamdJunkSubject is a Subject that the test rspamd scores 8 (its
// "add header" action: Junk) through a multimap rule of its own.
const RspamdJunkSubject = "petrel-test-junk"

// GTUBE is the test pattern rspamd rejects (its "reject" action).
const GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

// StartRspamd starts redis-server and rspamd, stopped at the test's end.
// It skips without PETREL_INTEROP and fails without the binaries. The rules that
// need the network (DNS lists, SPF, DKIM, greylisting, ...) are off, and
// the Bayes classifier is per user and classifies after one learn. The
// compiled regular expressions are cached in the user's cache directory:
// the first start compiles them (about 20 s), later ones take 2 s.
func StartRspamd(t testing.TB) *RspamdServer {
	t.Helper()
	if os.Getenv("PETREL_INTEROP") == "" {
		t.Skip("PETREL_INTEROP=1 runs rspamd (Debian rspamd and redis-server)")
	}
	for _, b := range []string{"rspamd", "redis-server"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Fatalf("PETREL_INTEROP=1 needs %s (apt-get install rspamd redis-server)", b)
		}
	}
	dir := t.TempDir()
	s := &RspamdServer{t: t, dir: dir, Password: "petrel-test",
		Normal: "http://" + FreeAddr(t), Controller: "http://" + FreeAddr(t)}
	redisAddr := FreeAddr(t)
	_, redisPort, _ := strings.Cut(redisAddr, ":")
	redis := exec.Command("redis-server", "--port", redisPort, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir)
	startDaemon(t, redis)
	hs := filepath.Join(os.TempDir(), "petrel-rspamd-hs")
	if c, err := os.UserCacheDir(); err == nil {
		hs = filepath.Join(c, "petrel-rspamd-hs")
	}
	if err := os.MkdirAll(hs, 0o755); err != nil {
		t.Fatal(err)
	}
	s.writeConfig(redisAddr, hs)
	args := []string{"-f", "-c", "/etc/rspamd/rspamd.conf", "--var", "LOCAL_CONFDIR=" + dir,
		"--var", "DBDIR=" + dir, "--var", "RUNDIR=" + dir, "--var", "LOGDIR=" + dir}
	if os.Geteuid() == 0 {
		args = append(args, "-i", "-u", "root", "-g", "root")
	}
	s.stop = startDaemon(t, exec.Command("rspamd", args...))
	s.waitReady(60 * time.Second)
	return s
}

// startDaemon starts cmd in a process group of its own, stopped at the
// test's end; it returns the stop function (which may be called again).
func startDaemon(t testing.TB, cmd *exec.Cmd) func() {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		// SIGTERM first, so that rspamd's main process reaps its
		// workers; SIGKILL to the group if it takes too long.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}
	t.Cleanup(stop)
	return stop
}

func (s *RspamdServer) writeConfig(redisAddr, hsCache string) {
	s.t.Helper()
	local := filepath.Join(s.dir, "local.d")
	if err := os.MkdirAll(local, 0o755); err != nil {
		s.t.Fatal(err)
	}
	junkMap := filepath.Join(s.dir, "junk.map")
	files := map[string]string{
		"worker-normal.inc":     fmt.Sprintf("bind_socket = %q;\ncount = 1;\n", strings.TrimPrefix(s.Normal, "http://")),
		"worker-controller.inc": fmt.Sprintf("bind_socket = %q;\ncount = 1;\npassword = %q;\nenable_password = %q;\n", strings.TrimPrefix(s.Controller, "http://"), s.Password, s.Password),
		"worker-proxy.inc":      "enabled = false;\n",
		"worker-fuzzy.inc":      "count = -1;\n",
		"options.inc": fmt.Sprintf("local_addrs = [];\nhs_cache_dir = %q;\n", hsCache) +
			"dns { nameserver = [\"127.0.0.1:1\"]; timeout = 0.1s; retransmits = 1; }\n",
		"redis.conf":            fmt.Sprintf("servers = %q;\n", redisAddr),
		"classifier-bayes.conf": "per_user = true;\nmin_learns = 1;\n",
		"logging.inc":           fmt.Sprintf("type = \"file\";\nfilename = %q;\nlevel = \"notice\";\n", filepath.Join(s.dir, "rspamd.log")),
		"multimap.conf":         fmt.Sprintf("PETREL_TEST_JUNK { type = \"header\"; header = \"Subject\"; regexp = true; map = %q; score = 8.0; }\n", junkMap),
		"../junk.map":           "/" + RspamdJunkSubject + "/i\n",
	}
	for _, m := range []string{"greylist", "rbl", "asn", "hfilter", "spf", "dmarc", "dkim", "fuzzy_check", "mx_check",
		"reputation", "neural", "phishing", "surbl", "emails", "rspamd_update", "ratelimit", "replies", "history_redis"} {
		files[m+".conf"] = "enabled = false;\n"
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(local, name), []byte(body), 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
}

// waitReady waits until both workers answer.
func (s *RspamdServer) waitReady(limit time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(limit)
	for _, u := range []string{s.Normal + "/ping", s.Controller + "/ping"} {
		for {
			resp, err := http.Get(u)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(filepath.Join(s.dir, "rspamd.log"))
				s.t.Fatalf("rspamd did not answer %s within %v: %v\n%s", u, limit, err, log)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// Stop stops rspamd (redis keeps running).
func (s *RspamdServer) Stop() {
	s.stop()
}

// Learned is the controller's count of learned messages (GET /stat).
func (s *RspamdServer) Learned() int {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.Controller+"/stat", nil)
	req.Header.Set("Password", s.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Learned int `json:"learned"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		s.t.Fatal(err)
	}
	return st.Learned
}
