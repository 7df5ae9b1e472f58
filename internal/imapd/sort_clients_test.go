package imapd

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// TestClientSortThread: go-imap v2's client sends SORT, UID SORT,
// THREAD REFERENCES and ORDEREDSUBJECT and reads the answers (the
// mailbox of sortEnv; expectations as in TestSortScenario and
// TestThreadScenario).
func TestClientSortThread(t *testing.T) {
	e := sortEnv(t)
	c := e.imapClient(nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	all := &imap.SearchCriteria{}
	nums, err := c.Sort(&imapclient.SortOptions{SearchCriteria: all,
		SortCriteria: []imapclient.SortCriterion{{Key: imapclient.SortKeyDate, Reverse: true}}}).Wait()
	if err != nil || fmt.Sprint(nums) != "[3 7 6 5 1 4 2]" {
		t.Errorf("SORT (REVERSE DATE): %v %v", nums, err)
	}
	nums, err = c.UIDSort(&imapclient.SortOptions{SearchCriteria: &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}},
		SortCriteria: []imapclient.SortCriterion{{Key: imapclient.SortKeySubject}, {Key: imapclient.SortKeyDate}}}).Wait()
	if err != nil || fmt.Sprint(nums) != "[5 2 1 6 7 4 3]" {
		t.Errorf("UID SORT (SUBJECT DATE): %v %v", nums, err)
	}
	threads, err := c.Thread(&imapclient.ThreadOptions{Algorithm: imap.ThreadReferences, SearchCriteria: all}).Wait()
	if err != nil || fmt.Sprint(threads) != "[{[2 1] []} {[] [{[4] []} {[3] []}]} {[5] []} {[7 6] []}]" {
		t.Errorf("THREAD REFERENCES: %v %v", threads, err)
	}
	threads, err = c.UIDThread(&imapclient.ThreadOptions{Algorithm: imap.ThreadOrderedSubject, SearchCriteria: all}).Wait()
	if err != nil || fmt.Sprint(threads) != "[{[2 1] []} {[4 3] []} {[5] []} {[6] []} {[7] []}]" {
		t.Errorf("UID THREAD ORDEREDSUBJECT: %v %v", threads, err)
	}
}

// pythonSort drives SORT and THREAD with Python's imaplib.
const pythonSort = `
import imaplib, json, sys
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]), timeout=10)
m.login(sys.argv[3], sys.argv[4])
m.select("INBOX")
out = {}
out["sort"] = [m.sort("(REVERSE DATE)", "UTF-8", "ALL")[1][0].decode()]
out["usort"] = [m.uid("SORT", "(DISPLAYFROM)", "UTF-8", "ALL")[1][0].decode()]
out["refs"] = [m.thread("REFERENCES", "UTF-8", "ALL")[1][0].decode()]
out["ordered"] = [m.thread("ORDEREDSUBJECT", "UTF-8", "SUBJECT", "hello")[1][0].decode()]
typ, data = m.sort("(DATE)", "KOI8-R", "ALL")
out["badcharset"] = typ + " " + data[0].decode()
m.logout()
print(json.dumps(out))
`

// TestPythonSortThread: Python's imaplib sort() and thread() (RFC 5256).
func TestPythonSortThread(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("PETREL_INTEROP") == "1" {
			t.Fatal("python3 is required with PETREL_INTEROP=1")
		}
		t.Skip("python3 not found")
	}
	e := newEnv(t, nil)
	sortEnvFill(e)
	host, port, _ := strings.Cut(e.addr, ":")
	out, err := exec.Command(py, "-c", pythonSort, host, port, testUser, testPass).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for k, want := range map[string]string{
		"sort": `["3 7 6 5 1 4 2"]`, "usort": `["2 3 4 5 6 7 1"]`,
		"refs": `["(2 1)((4)(3))(5)(7 6)"]`, "ordered": `["(2 1)"]`,
	} {
		if b, _ := json.Marshal(got[k]); string(b) != want {
			t.Errorf("%s = %s, want %s", k, b, want)
		}
	}
	if s, _ := got["badcharset"].(string); !strings.HasPrefix(s, "NO [BADCHARSET") {
		t.Errorf("SORT in KOI8-R: %v", got["badcharset"])
	}
}
