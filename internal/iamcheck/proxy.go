package iamcheck

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/patservice/pat/internal/samstack"
)

// Decision is one authorization the proxy made: one per item of a
// transaction or batch, one per resource of a mail.
type Decision struct {
	Function string // the logical id the access key id named (or the unknown key id)
	Call     string // which API call, or which part of it
	Action   string
	Resource string
	Allowed  bool
	// ExplicitDeny is whether a Deny statement refused it (else nothing
	// allowed it).
	ExplicitDeny bool
	Reason       string
}

func (d Decision) String() string {
	verdict := "allowed"
	if !d.Allowed {
		verdict = "REFUSED"
	}
	return fmt.Sprintf("%s %s: %s on %s (%s): %s", d.Function, verdict, d.Action, d.Resource, d.Call, d.Reason)
}

// Proxy is a checking reverse proxy in front of DynamoDB Local, the SES
// emulator and, when asked (ProxySecretsManager), moto's Secrets Manager. A function's client is pointed at DynamoDBURL and SESURL with
// its logical id as access key id (AWS_ACCESS_KEY_ID=CreateTokenFunction);
// every call is checked against that function's policy in the template,
// forwarded unchanged when allowed, answered as AWS answers a refusal
// otherwise, and recorded.
type Proxy struct {
	DynamoDBURL string // "" when started without a DynamoDB upstream
	SESURL      string // "" when started without an SES upstream
	// SecretsManagerURL is "" until ProxySecretsManager.
	SecretsManagerURL string

	stack     *samstack.Stack
	functions map[string]samstack.Function
	tables    tables

	mu        sync.Mutex
	decisions []Decision
	handled   int // refusals before this index were reported or taken
	used      map[string]map[Grant]bool

	servers []*http.Server
}

// maxBody bounds what the proxy reads of a request: DynamoDB takes at most
// 16 MB (BatchWriteItem), SES 10 MB.
const maxBody = 16 << 20

// New starts a proxy on 127.0.0.1 in front of the given upstreams (the
// local DynamoDB's and SES emulator's URLs; an empty one is not proxied),
// checking calls against the policies of stack's functions.
func New(stack *samstack.Stack, dynamoUpstream, sesUpstream string) (*Proxy, error) {
	fns, err := stack.Functions()
	if err != nil {
		return nil, fmt.Errorf("iamcheck: %w", err)
	}
	t, err := stackTables(stack)
	if err != nil {
		return nil, fmt.Errorf("iamcheck: %w", err)
	}
	p := &Proxy{stack: stack, functions: map[string]samstack.Function{}, tables: t, used: map[string]map[Grant]bool{}}
	for _, f := range fns {
		p.functions[f.LogicalID] = f
	}
	if dynamoUpstream != "" {
		if p.DynamoDBURL, err = p.serve(dynamoUpstream, p.dynamoChecks, p.dynamoRefusal); err != nil {
			p.Close()
			return nil, err
		}
	}
	if sesUpstream != "" {
		if p.SESURL, err = p.serve(sesUpstream, p.sesChecks, p.sesRefusal); err != nil {
			p.Close()
			return nil, err
		}
	}
	return p, nil
}

// Start is New for a test or suite: the proxy stops when tb ends, and tb
// fails if any refusal was neither reported (RequireNoRefusals) nor taken
// (TakeRefusals) by then.
func Start(tb testing.TB, stack *samstack.Stack, dynamoUpstream, sesUpstream string) *Proxy {
	tb.Helper()
	p, err := New(stack, dynamoUpstream, sesUpstream)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		p.RequireNoRefusals(tb)
		p.Close()
	})
	return p
}

// Close stops the proxy's listeners.
func (p *Proxy) Close() error {
	var errs []error
	for _, s := range p.servers {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// Decisions returns every decision so far, in order.
func (p *Proxy) Decisions() []Decision {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.decisions)
}

// Refusals returns every refusal so far, in order.
func (p *Proxy) Refusals() []Decision {
	p.mu.Lock()
	defer p.mu.Unlock()
	return refusals(p.decisions)
}

// TakeRefusals returns the refusals since the last TakeRefusals or
// RequireNoRefusals, which then no longer fail the test: for a test that
// provokes a refusal on purpose.
func (p *Proxy) TakeRefusals() []Decision {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := refusals(p.decisions[p.handled:])
	p.handled = len(p.decisions)
	return out
}

// RequireNoRefusals fails tb with every refusal since the last
// TakeRefusals or RequireNoRefusals, each with the calling function's
// statements.
func (p *Proxy) RequireNoRefusals(tb testing.TB) {
	tb.Helper()
	for _, d := range p.TakeRefusals() {
		tb.Errorf("IAM would refuse this call on AWS: %s\n%s's policy in template.yaml:%s", d, d.Function, describe(p.functions[d.Function].Statements))
	}
}

func refusals(ds []Decision) []Decision {
	var out []Decision
	for _, d := range ds {
		if !d.Allowed {
			out = append(out, d)
		}
	}
	return out
}

// Unused is a grant of a function's policy that no call used.
type Unused struct {
	Function string
	Grant
	// Called is whether the function made any call through the proxy: a
	// function that made none has every grant unused, which says more
	// about the tests than about the policy.
	Called bool
}

func (u Unused) String() string {
	s := fmt.Sprintf("%s statement %d: %s on %s", u.Function, u.Statement, u.Action, u.Resource)
	if !u.Called {
		s += " (the function made no call)"
	}
	return s
}

// Unused returns, per function (sorted by logical id), the grants of its
// policy (Allow statement × action × resource) that no allowed call
// matched: least privilege seen from the other side.
func (p *Proxy) Unused() []Unused {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Unused
	for _, id := range sortedKeys(p.functions) {
		used, called := p.used[id]
		for i, s := range p.functions[id].Statements {
			if s.Effect != "Allow" {
				continue
			}
			for _, a := range s.Actions {
				for _, r := range s.Resources {
					g := Grant{Statement: i, Action: a, Resource: r}
					if !used[g] {
						out = append(out, Unused{Function: id, Grant: g, Called: called})
					}
				}
			}
		}
	}
	return out
}

// Report prints Unused, one grant a line.
func (p *Proxy) Report() string {
	unused := p.Unused()
	if len(unused) == 0 {
		return "iamcheck: every grant of every function was used"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "iamcheck: %d grants no call used:", len(unused))
	for _, u := range unused {
		b.WriteString("\n  " + u.String())
	}
	return b.String()
}

// checker turns a request body into the authorizations it needs: every
// check must pass, and a check passes when any of its alternatives is
// allowed.
type checker func(r *http.Request, body []byte) ([][]Request, error)

// refusal answers a refused call as the service does.
type refusal func(w http.ResponseWriter, fn string, d Decision, unknownKey bool)

func (p *Proxy) serve(upstream string, check checker, refuse refusal) (string, error) {
	target, err := url.Parse(upstream)
	if err != nil {
		return "", fmt.Errorf("iamcheck: upstream %q: %w", upstream, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("iamcheck: listen: %w", err)
	}
	forward := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			http.Error(w, "iamcheck: read request: "+err.Error(), http.StatusBadRequest)
			return
		}
		if !p.authorize(r, body, check, refuse, w) {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		forward.ServeHTTP(w, r)
	})}
	p.servers = append(p.servers, srv)
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), nil
}

// authorize decides a call, records it, and answers a refusal; it reports
// whether the call may be forwarded.
func (p *Proxy) authorize(r *http.Request, body []byte, check checker, refuse refusal, w http.ResponseWriter) bool {
	keyID := accessKeyID(r)
	fn, known := p.functions[keyID]
	if !known {
		d := Decision{Function: keyID, Call: r.Method + " " + r.URL.Path, Action: "?", Resource: "?",
			Reason: fmt.Sprintf("access key id %q names no function of the template", keyID)}
		p.record(keyID, []Decision{d}, nil)
		refuse(w, keyID, d, true)
		return false
	}
	checks, err := check(r, body)
	if err != nil {
		d := Decision{Function: keyID, Call: r.Method + " " + r.URL.Path, Action: "?", Resource: "?", Reason: "cannot check the request: " + err.Error()}
		p.record(keyID, []Decision{d}, nil)
		refuse(w, keyID, d, false)
		return false
	}
	var ds []Decision
	var grants []Grant
	refused := -1
	for _, alternatives := range checks {
		d, g := decide(fn, alternatives)
		if !d.Allowed && refused < 0 {
			refused = len(ds)
		}
		ds = append(ds, d)
		grants = append(grants, g...)
	}
	if refused >= 0 {
		p.record(keyID, ds, nil) // a refused call changes nothing, so it used nothing
		refuse(w, keyID, ds[refused], false)
		return false
	}
	p.record(keyID, ds, grants)
	return true
}

// decide answers one check: allowed when any of its alternatives is.
func decide(fn samstack.Function, alternatives []Request) (Decision, []Grant) {
	var reasons []string
	explicit := false
	for _, req := range alternatives {
		res := Evaluate(fn.Statements, req)
		if res.Allowed {
			return Decision{Function: fn.LogicalID, Call: req.Call, Action: req.Action, Resource: req.Resource, Allowed: true, Reason: res.Reason}, res.Grants
		}
		explicit = explicit || res.ExplicitDeny
		reason := res.Reason
		if len(alternatives) > 1 {
			reason = req.Resource + ": " + reason
		}
		reasons = append(reasons, reason)
	}
	first := alternatives[0]
	return Decision{Function: fn.LogicalID, Call: first.Call, Action: first.Action, Resource: first.Resource,
		ExplicitDeny: explicit, Reason: strings.Join(reasons, "; ")}, nil
}

func (p *Proxy) record(fn string, ds []Decision, grants []Grant) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.decisions = append(p.decisions, ds...)
	if _, ok := p.functions[fn]; !ok {
		return
	}
	if p.used[fn] == nil {
		p.used[fn] = map[Grant]bool{}
	}
	for _, g := range grants {
		p.used[fn][g] = true
	}
}

// accessKeyID reads the access key id from a SigV4 Authorization header
// (Credential=<key id>/<date>/<region>/<service>/aws4_request) or a
// presigned URL's X-Amz-Credential. Nothing else of the header is kept.
func accessKeyID(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if h := r.Header.Get("Authorization"); h != "" {
		if _, rest, ok := strings.Cut(h, "Credential="); ok {
			cred, _, _ = strings.Cut(rest, ",")
		}
	}
	id, _, _ := strings.Cut(strings.TrimSpace(cred), "/")
	return id
}

// principal is the ARN IAM names in a refusal: the function's execution
// role, assumed by Lambda with the function's name as session name.
func (p *Proxy) principal(fn string) string {
	return fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s-%sRole/%s", p.stack.Local.Account, p.stack.Local.StackName, fn, fn)
}

// deniedMessage is IAM's message for a refused action.
func (p *Proxy) deniedMessage(fn string, d Decision) string {
	why := "because no identity-based policy allows the " + d.Action + " action"
	if d.ExplicitDeny {
		why = "with an explicit deny in an identity-based policy"
	}
	return fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", p.principal(fn), d.Action, d.Resource, why)
}

func (p *Proxy) dynamoChecks(r *http.Request, body []byte) ([][]Request, error) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "DynamoDB_20120810.")
	if !ok {
		return nil, fmt.Errorf("X-Amz-Target %q is not a DynamoDB_20120810 operation", target)
	}
	reqs, err := p.tables.dynamoRequests(op, body)
	if err != nil {
		return nil, err
	}
	checks := make([][]Request, len(reqs))
	for i, req := range reqs {
		checks[i] = []Request{req}
	}
	return checks, nil
}

// dynamoRefusal answers as DynamoDB does: HTTP 400 with a JSON 1.0 error
// (and the CRC32 header its clients check).
func (p *Proxy) dynamoRefusal(w http.ResponseWriter, fn string, d Decision, unknownKey bool) {
	typ, msg := "AccessDeniedException", p.deniedMessage(fn, d)
	if unknownKey {
		typ, msg = "UnrecognizedClientException", "The security token included in the request is invalid."
	}
	body, _ := json.Marshal(map[string]string{"__type": "com.amazon.coral.service#" + typ, "message": msg})
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amz-Crc32", fmt.Sprint(crc32.ChecksumIEEE(body)))
	w.Header().Set("X-Amzn-Requestid", rand.Text())
	w.WriteHeader(http.StatusBadRequest)
	w.Write(body)
}

func (p *Proxy) sesChecks(_ *http.Request, body []byte) ([][]Request, error) {
	return sesRequests(p.stack.Local.Region, p.stack.Local.Account, body)
}

// sesRefusal answers as SES's query API does: HTTP 403 with an XML
// ErrorResponse.
func (p *Proxy) sesRefusal(w http.ResponseWriter, fn string, d Decision, unknownKey bool) {
	code, msg := "AccessDenied", p.deniedMessage(fn, d)
	if unknownKey {
		code, msg = "InvalidClientTokenId", "The security token included in the request is invalid."
	}
	type sesError struct {
		Type    string
		Code    string
		Message string
	}
	body, _ := xml.Marshal(struct {
		XMLName   xml.Name `xml:"http://ses.amazonaws.com/doc/2010-12-01/ ErrorResponse"`
		Error     sesError
		RequestID string `xml:"RequestId"`
	}{Error: sesError{Type: "Sender", Code: code, Message: msg}, RequestID: rand.Text()})
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusForbidden)
	w.Write(body)
}
