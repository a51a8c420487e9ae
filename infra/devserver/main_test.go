package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/localstack"
)

// The README's local demo and the walkthrough `make run` prints work as
// written, and again on the same server: each is run twice with bash and
// curl against a dev server on a free port. Every curl must answer 2xx
// unless its comment names the 4xx it shows; the lifecycle job still finds
// work on the second pass, after the first one's time travel.
func TestReadmeDemoRunsTwice(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("needs curl")
	}
	root := localstack.RepoRoot(t)
	base := startServer(t, nil)

	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	demo := strings.ReplaceAll(tryItBlocks(t, string(readme)), "http://127.0.0.1:8080", base)
	var help bytes.Buffer
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	printHelp(&help, base, devIdentity(cfg.Claims))
	walkthrough := walkthroughOf(t, help.String())

	for pass := 1; pass <= 2; pass++ {
		for name, script := range map[string]string{"README": demo, "walkthrough": walkthrough} {
			out := runChecked(t, script)
			// The lifecycle job found the token the script just made idle.
			if !strings.Contains(out, `"kind": "idle_reminder"`) || !strings.Contains(out, `"itemsRead"`) {
				t.Fatalf("%s, pass %d: the lifecycle job reminded nobody:\n%s", name, pass, out)
			}
		}
	}
}

// startServer runs the dev server on a free port, on fresh tables, with
// the environment `make run` gives it and env, until the test ends. Its
// start must succeed: it returns the base URL.
func startServer(t *testing.T, env map[string]string) string {
	t.Helper()
	localstack.Client(t) // skips without the local stack
	suffix := time.Now().Format("150405.000000")
	t.Setenv("TABLE_NAME", "demo-tokens-"+suffix)
	t.Setenv("AUDIT_TABLE_NAME", "demo-audit-"+suffix)
	t.Setenv("MAIL_FROM", "tokens@localhost")
	t.Setenv("GROUP_PERMISSIONS", localGroupPermissions)
	t.Setenv("AUTHORIZER_TIMEOUT_MS", "5000") // a loaded CI machine is not what the 1 s deadline is about
	t.Setenv("CURSOR_KEY_SECRET_ARN", "")     // serve creates the secret, as make run does
	for k, v := range env {
		t.Setenv(k, v)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	t.Setenv("CONSOLE_BASE_URL", base+"/console")
	ctx, cancel := context.WithCancel(context.Background())
	var served error
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		served = serve(ctx, ln, filepath.Join(localstack.RepoRoot(t), "template.yaml"), &bytes.Buffer{})
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
		if served != nil {
			t.Errorf("dev server: %v", served)
		}
	})
	// Up once it answers: serve creates the tables first.
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-finished:
			t.Fatal("dev server stopped at start")
		default:
		}
		if resp, err := http.Get(base + "/console/config.json"); err == nil {
			resp.Body.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatal("dev server: not answering after 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tryItBlocks returns the sh blocks of the README's "Try it" section,
// which ends at the next section.
func tryItBlocks(t *testing.T, readme string) string {
	t.Helper()
	start := strings.Index(readme, "\n## Try it\n")
	if start < 0 {
		t.Fatal(`README has no "## Try it" section`)
	}
	section := readme[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) < 3 {
		t.Fatalf("found %d sh blocks in Try it", len(blocks))
	}
	return strings.Join(blocks, "\n")
}

// walkthroughOf returns the commands printHelp prints after "Try it".
func walkthroughOf(t *testing.T, help string) string {
	t.Helper()
	_, rest, ok := strings.Cut(help, "Try it")
	if !ok {
		t.Fatal("printHelp prints no walkthrough")
	}
	var lines []string
	for _, l := range strings.Split(rest, "\n")[1:] {
		lines = append(lines, strings.TrimPrefix(l, "  "))
	}
	return strings.Join(lines, "\n")
}

// expects finds the 4xx a line's comment says it shows.
var expects = regexp.MustCompile(`\s#\s.*\b(4\d\d)\b`)

// runChecked runs a script with bash, every curl checked: 2xx, or the
// status its line's comment names. It returns the script's output.
func runChecked(t *testing.T, script string) string {
	t.Helper()
	var lines []string
	// Join continued lines, so that a command's comment is on its line.
	for _, l := range strings.Split(strings.ReplaceAll(script, "\\\n", ""), "\n") {
		if m := expects.FindStringSubmatch(l); m != nil && !strings.HasPrefix(strings.TrimSpace(l), "#") {
			if !strings.HasPrefix(l, "curl ") {
				t.Fatalf("a line expecting %s is not a plain curl: %s", m[1], l)
			}
			l = "PAT_EXPECT=" + m[1] + " " + l
		}
		lines = append(lines, l)
	}
	preamble := `set -eo pipefail
curl() {
  local status
  { status=$(command curl -sS -w '%{http_code}' -o /dev/fd/3 "$@"); } 3>&1
  local want="${PAT_EXPECT:-2xx}"
  if [[ "$want" == 2xx && "$status" == 2* ]] || [[ "$status" == "$want" ]]; then return 0; fi
  echo "DEMO FAILED: curl $* answered $status, want $want" >&2
  return 1
}
`
	cmd := exec.Command("bash", "-c", preamble+strings.Join(lines, "\n"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	return out.String()
}
