// Package lambdarun runs the functions' real bootstraps as Lambda runs
// them: built for linux with the deployment's flags (Build), each under
// AWS's Lambda Runtime Interface Emulator with the environment, memory,
// timeout and log settings the template gives it (Start), invoked with an
// event as Lambda's Invoke API does, its log lines captured per
// invocation. Test support: the Lambda suite in this directory uses it.
package lambdarun

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/patservice/pat/internal/samstack"
)

// Config is one function to run.
type Config struct {
	RIE       string // path of aws-lambda-rie
	Bootstrap string // path of the function's bootstrap (Build)
	Function  samstack.Function
	// Name is the function's physical name (AWS_LAMBDA_FUNCTION_NAME);
	// default: its logical id.
	Name   string
	Region string // default us-east-1
	// DynamoDBURL and SESURL are the endpoints the function's SDK clients
	// call (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SES); "" leaves
	// the variable unset.
	DynamoDBURL, SESURL string
	// SecretsManagerURL is the Secrets Manager endpoint
	// (AWS_ENDPOINT_URL_SECRETS_MANAGER); "" leaves it unset.
	SecretsManagerURL string
	// Output, when set, receives every log line the function writes, as
	// it is written.
	Output io.Writer
}

// Emulator is one function running under the Runtime Interface Emulator.
// It takes one invocation at a time, as one Lambda execution environment
// does; several emulators may run at once.
type Emulator struct {
	Function samstack.Function
	url      string
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the emulator's process has ended
	readers  sync.WaitGroup
	invoking sync.Mutex
	output   io.Writer

	mu      sync.Mutex
	changed *sync.Cond
	stdout  []string // every line of the emulator's stdout: the function's and the platform's
	stderr  []string // the emulator's own log (errors only)
}

// maxEnvironmentBytes is Lambda's limit on a function's environment
// variables, names and values together: a larger set fails the deploy.
const maxEnvironmentBytes = 4096

// reserved are the variables Lambda sets itself; a function's
// configuration may not set them (the deploy fails).
var reserved = []string{"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"}

// Environment returns the variables the function's process gets: its
// own from the template (Globals merged by SAM), then what Lambda sets,
// with the function's logical id as access key id (the IAM check
// attributes each call by it). Nothing of the test process's environment
// is passed on.
func Environment(c Config) ([]string, error) {
	fn := c.Function
	size := 0
	for k, v := range fn.Env {
		if slices.Contains(reserved, k) {
			return nil, fmt.Errorf("%s: the template sets %s, which Lambda reserves: the deploy would fail", fn.LogicalID, k)
		}
		size += len(k) + len(v)
	}
	if size > maxEnvironmentBytes {
		return nil, fmt.Errorf("%s: %d bytes of environment variables, Lambda allows %d: the deploy would fail", fn.LogicalID, size, maxEnvironmentBytes)
	}
	env := map[string]string{}
	for k, v := range fn.Env {
		env[k] = v
	}
	name, region := c.Name, c.Region
	if name == "" {
		name = fn.LogicalID
	}
	if region == "" {
		region = "us-east-1"
	}
	lambda := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(fn.MemoryMB),
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     strconv.Itoa(fn.TimeoutSeconds),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME":       fn.LogGroup,
		"AWS_LAMBDA_LOG_STREAM_NAME":      "local/[$LATEST]" + fn.LogicalID,
		"AWS_REGION":                      region,
		"AWS_DEFAULT_REGION":              region,
		"AWS_ACCESS_KEY_ID":               fn.LogicalID,
		"AWS_SECRET_ACCESS_KEY":           "x",
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                filepath.Dir(c.Bootstrap),
		"TZ":                              ":UTC",
	}
	if fn.LogFormat != "" {
		lambda["AWS_LAMBDA_LOG_FORMAT"] = fn.LogFormat
	}
	if fn.ApplicationLogLevel != "" {
		lambda["AWS_LAMBDA_LOG_LEVEL"] = fn.ApplicationLogLevel
	}
	if c.DynamoDBURL != "" {
		lambda["AWS_ENDPOINT_URL_DYNAMODB"] = c.DynamoDBURL
	}
	if c.SESURL != "" {
		lambda["AWS_ENDPOINT_URL_SES"] = c.SESURL
	}
	if c.SecretsManagerURL != "" {
		lambda["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = c.SecretsManagerURL
	}
	for k, v := range lambda {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out, nil
}

// errPortTaken is a start that lost its port to another process between
// choosing it and binding it.
var errPortTaken = errors.New("port taken")

// Start runs the function under the emulator, on loopback ports of its
// own, and waits until the emulator accepts invocations. The function's
// cold start happens at its first invocation, as on Lambda.
func Start(c Config) (*Emulator, error) {
	env, err := Environment(c)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		e, err := start(c, env)
		if errors.Is(err, errPortTaken) && attempt < 4 {
			continue
		}
		return e, err
	}
}

func start(c Config, env []string) (*Emulator, error) {
	rie, err := freeAddr()
	if err != nil {
		return nil, err
	}
	api, err := freeAddr()
	if err != nil {
		return nil, err
	}
	bootstrap, err := filepath.Abs(c.Bootstrap)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.RIE, "--log-level", "error",
		"--runtime-interface-emulator-address", rie, "--runtime-api-address", api, bootstrap)
	cmd.Dir = filepath.Dir(bootstrap) // /var/task on Lambda: where the bootstrap is
	cmd.Env = env
	// A process group of its own: Close ends the emulator and the
	// function's process together.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	e := &Emulator{Function: c.Function, url: "http://" + rie, cmd: cmd, exited: make(chan struct{}), output: c.Output}
	e.changed = sync.NewCond(&e.mu)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", c.RIE, err)
	}
	e.readers.Add(2)
	go e.read(stdout, &e.stdout, true)
	go e.read(stderr, &e.stderr, false)
	go func() {
		e.readers.Wait() // Wait closes the pipes: read them to the end first
		_ = cmd.Wait()
		close(e.exited)
		e.mu.Lock()
		e.changed.Broadcast()
		e.mu.Unlock()
	}()
	// Both: the function's runtime dials the runtime API at its cold
	// start, and a port taken meanwhile by another process (a free port is
	// only free at the moment it was asked for) must be a new attempt, not
	// a refused connection at the first invocation.
	for _, addr := range []string{rie, api} {
		if err := e.awaitListening(addr, 15*time.Second); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// freeAddr returns a loopback address with a port free at the moment.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func (e *Emulator) awaitListening(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-e.exited:
			log := strings.Join(e.stderrLines(), "\n")
			if strings.Contains(log, "address already in use") {
				return errPortTaken
			}
			return fmt.Errorf("%s: the emulator ended before it listened: %s", e.Function.LogicalID, log)
		default:
		}
		if conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			conn.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(strings.Join(e.stderrLines(), "\n"), "address already in use") {
		return errPortTaken
	}
	return fmt.Errorf("%s: the emulator did not listen on %s within %s", e.Function.LogicalID, addr, within)
}

func (e *Emulator) read(r io.Reader, into *[]string, function bool) {
	defer e.readers.Done()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024) // Lambda cuts log events at 256 KB
	for sc.Scan() {
		line := sc.Text()
		e.mu.Lock()
		*into = append(*into, line)
		e.changed.Broadcast()
		e.mu.Unlock()
		if function && e.output != nil && platform.FindStringSubmatch(line) == nil {
			fmt.Fprintln(e.output, line)
		}
	}
}

func (e *Emulator) stderrLines() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.stderr)
}

// platform matches the emulator's own lines around each invocation.
var platform = regexp.MustCompile(`^(START|END|REPORT) RequestId: (\S+)`)

// Close stops the emulator and the function, and waits until their output
// is read.
func (e *Emulator) Close() {
	if e.cmd.Process != nil {
		_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-e.exited
}

// Line is one line a function wrote to its log.
type Line struct {
	Text string
	// Fields is the line decoded as a JSON object (what CloudWatch's JSON
	// filter patterns and EMF read); nil when it is not one.
	Fields map[string]any
}

func parseLine(text string) Line {
	l := Line{Text: text}
	if strings.HasPrefix(strings.TrimSpace(text), "{") {
		var m map[string]any
		if json.Unmarshal([]byte(text), &m) == nil {
			l.Fields = m
		}
	}
	return l
}

// Lines returns every line the function has written so far, in order:
// what its log group holds (the emulator's START/END/REPORT lines, which
// Lambda leaves out at the template's system log level, are not among
// them).
func (e *Emulator) Lines() []Line {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Line
	for _, s := range e.stdout {
		if platform.FindStringSubmatch(s) == nil {
			out = append(out, parseLine(s))
		}
	}
	return out
}

// Invocation is what one invoke returned.
type Invocation struct {
	RequestID string
	Payload   []byte // the function's result, as Lambda's Invoke API returns it
	// FunctionError is the error the handler returned ({"errorMessage",
	// "errorType"}), "" when it returned a result.
	FunctionError string
	// Lines are the lines the function wrote during the invocation (with
	// the cold start's, at the first).
	Lines []Line
}

// Decode decodes the payload into v.
func (inv *Invocation) Decode(v any) error {
	if err := json.Unmarshal(inv.Payload, v); err != nil {
		return fmt.Errorf("decode the payload %s: %w", inv.Payload, err)
	}
	return nil
}

// Invoke sends event to the function as Lambda's Invoke API does
// (RequestResponse) and waits for its answer and its log lines. An error
// is an invocation the runtime could not complete: a failed cold start, a
// crash or a timeout, with what the function logged and what the runtime
// reported. A handler that returns an error is an Invocation with
// FunctionError set.
func (e *Emulator) Invoke(ctx context.Context, event []byte) (*Invocation, error) {
	e.invoking.Lock()
	defer e.invoking.Unlock()
	id := requestID()
	e.mu.Lock()
	from, stderrFrom := len(e.stdout), len(e.stderr)
	e.mu.Unlock()

	timeout := time.Duration(e.Function.TimeoutSeconds)*time.Second + 10*time.Second
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url+"/2015-03-31/functions/function/invocations", bytes.NewReader(event))
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Amzn-RequestId", id)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: invoke: %w", e.Function.LogicalID, err)
	}
	payload, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: invoke: %w", e.Function.LogicalID, err)
	}
	inv := &Invocation{RequestID: id, Payload: payload}
	completed := resp.StatusCode == http.StatusOK
	// The function's lines precede its response on the same pipe; the
	// emulator writes REPORT after the response, or an error line on
	// stderr when the runtime failed.
	e.awaitLines(func() bool {
		if completed {
			return slices.ContainsFunc(e.stdout[from:], func(s string) bool {
				m := platform.FindStringSubmatch(s)
				return m != nil && m[1] == "REPORT" && m[2] == id
			})
		}
		return slices.ContainsFunc(e.stderr[stderrFrom:], func(s string) bool { return strings.Contains(s, failureMark) })
	}, 5*time.Second)
	e.mu.Lock()
	for _, s := range e.stdout[from:] {
		if platform.FindStringSubmatch(s) == nil {
			inv.Lines = append(inv.Lines, parseLine(s))
		}
	}
	runtime := runtimeErrors(e.stderr[stderrFrom:])
	e.mu.Unlock()

	switch {
	case !completed:
		return inv, fmt.Errorf("%s: the runtime failed (HTTP %d from the emulator): %s; the function logged: %s",
			e.Function.LogicalID, resp.StatusCode, orNothing(runtime), orNothing(errorLines(inv.Lines)))
	case bytes.HasPrefix(payload, []byte("Task timed out after")):
		return inv, fmt.Errorf("%s: %s (the template's Timeout)", e.Function.LogicalID, payload)
	}
	var fe struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	if json.Unmarshal(payload, &fe) == nil && fe.Type != "" && fe.Message != "" {
		inv.FunctionError = fe.Type + ": " + fe.Message
	}
	return inv, nil
}

func (e *Emulator) awaitLines(done func() bool, within time.Duration) {
	timer := time.AfterFunc(within, func() {
		e.mu.Lock()
		e.changed.Broadcast()
		e.mu.Unlock()
	})
	defer timer.Stop()
	deadline := time.Now().Add(within)
	e.mu.Lock()
	defer e.mu.Unlock()
	for !done() && time.Now().Before(deadline) {
		select {
		case <-e.exited:
			return
		default:
		}
		e.changed.Wait()
	}
}

// The emulator ends every failed invocation with this line on stderr.
const failureMark = "Invoke DONE failed"

// runtimeErrors picks what the runtime reported from the emulator's log:
// "Init failed error=Runtime exited with error: exit status 1" and the like.
func runtimeErrors(lines []string) string {
	var out []string
	for _, l := range lines {
		if i := strings.Index(l, "(rapid) "); i >= 0 {
			out = append(out, l[i+len("(rapid) "):])
		}
	}
	return strings.Join(out, "; ")
}

// errorLines returns the function's own account of a failure: its lines
// at level ERROR (the cold start's reason), else everything it wrote.
func errorLines(lines []Line) string {
	var errs, all []string
	for _, l := range lines {
		all = append(all, l.Text)
		if l.Fields != nil && l.Fields["level"] == "ERROR" {
			errs = append(errs, l.Text)
		}
	}
	if len(errs) > 0 {
		return strings.Join(errs, "\n")
	}
	return strings.Join(all, "\n")
}

func orNothing(s string) string {
	if s == "" {
		return "(nothing)"
	}
	return s
}

// requestID returns a new invocation id in Lambda's format (a UUID).
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Stdout returns the emulator's whole output, the platform's lines
// included: for a failure report.
func (e *Emulator) Stdout() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.stdout, "\n")
}
