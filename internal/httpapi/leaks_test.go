package httpapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/sesmail"
	"github.com/patservice/pat/internal/token"
)

// github stands in for GitHub's secret scanning: a key generated in the
// test, published by a local key server in GitHub's format.
type github struct {
	id  string
	key *ecdsa.PrivateKey
	srv *httptest.Server
}

func newGitHub(t *testing.T) *github {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	g := &github{id: "bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c", key: key}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(map[string]any{"public_keys": []map[string]any{{
		"key_identifier": g.id, "key": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), "is_current": true}}})
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(doc) }))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *github) sign(t *testing.T, body string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	sig, err := ecdsa.SignASN1(rand.Reader, g.key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// report is a report's body, signed (keyID, sig) or not ("").
func report(body, keyID, sig string) edit {
	return func(ev *events.APIGatewayV2HTTPRequest) {
		ev.Body = body
		delete(ev.Headers, "github-public-key-identifier")
		delete(ev.Headers, "github-public-key-signature")
		if keyID != "" {
			ev.Headers["github-public-key-identifier"] = keyID
		}
		if sig != "" {
			ev.Headers["github-public-key-signature"] = sig
		}
	}
}

type entry struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

// leakHarness serves the API with mail, the administrators' address and
// the local key server.
func leakHarness(t *testing.T) (*harness, *github, string) {
	t.Helper()
	h := newHarness(t)
	gh := newGitHub(t)
	admins := fmt.Sprintf("security-%d@example.com", time.Now().UnixNano())
	h.cfg.AdminEmail, h.cfg.LeakKeysURL = admins, gh.srv.URL
	mail, err := sesmail.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	h.build(t, h.DB, mail)
	return h, gh, admins
}

// snapshot is every item of both tables, to show that a refused report
// changed nothing.
func (h *harness) snapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{h.Tables.Tokens, h.Tables.Audit} {
		items := localstack.Dump(t, h.DB, table)
		raw, _ := json.Marshal(items)
		fmt.Fprintf(&b, "%s %d %x\n", table, len(items), sha256.Sum256(raw))
	}
	return b.String()
}

func TestLeakReportRevokesOurTokens(t *testing.T) {
	h, gh, admins := leakHarness(t)
	owner := fmt.Sprintf("user-leak-%d", time.Now().UnixNano())
	create := func(name string) (string, string) {
		f := h.call(t, "create-token", as(owner, ownerGrants), body(`{"name":"`+name+`","scopes":["crm:read"]}`)).fields()
		return f["id"].(string), f["token"].(string)
	}
	liveID, live := create("live")
	deadID, dead := create("dead")
	lockedID, locked := create("locked")
	if r := h.call(t, "revoke-token", as(owner, ownerGrants), onToken(deadID)); r.Status != 204 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "admin-lock-token", onToken(lockedID), body(`{"reason":"suspicious"}`)); r.Status != 200 {
		t.Fatalf("lock: %d %s", r.Status, r.Body)
	}
	format, _ := token.NewFormat("pat")
	unknown, _, err := format.Generate(token.OwnerTag(owner)) // well-formed, never stored
	if err != nil {
		t.Fatal(err)
	}
	ledger.AddToken(unknown)
	badSum := live[:len(live)-1] + map[bool]string{true: "A", false: "B"}[live[len(live)-1] != 'A']
	url := "https://github.com/example/app/blob/1f2e3d/config/.env"
	entries := []entry{
		{live, "pat_token", url, "content"},
		{dead, "pat_token", url, "content"},
		{locked, "pat_token", url, "commit"},
		{badSum, "pat_token", url, "content"},
		{unknown, "pat_token", url, "content"},
		{"ghp_" + strings.Repeat("a", 36), "pat_token", url, "content"},
	}
	raw, _ := json.Marshal(entries)
	before := h.snapshot(t)

	// Refused, and nothing changes.
	forger := newGitHub(t)
	huge := string(raw[:len(raw)-1]) + "," + strings.Repeat(`{"token":"x"},`, 6000) + `{"token":"x"}]`
	for _, c := range []struct {
		name   string
		edit   edit
		status int
		code   string
	}{
		{"no signature", report(string(raw), "", ""), 401, "unauthenticated"},
		{"no key id", report(string(raw), "", gh.sign(t, string(raw))), 401, "unauthenticated"},
		{"signed by another key under GitHub's key id", report(string(raw), gh.id, forger.sign(t, string(raw))), 401, "unauthenticated"},
		{"a key GitHub never published", report(string(raw), "made-up", gh.sign(t, string(raw))), 401, "unauthenticated"},
		{"the body changed after signing", report(strings.Replace(string(raw), "content", "contents", 1), gh.id, gh.sign(t, string(raw))), 401, "unauthenticated"},
		{"over 64 KiB", report(huge, gh.id, gh.sign(t, huge)), 413, "body_too_large"},
		{"signed, but not an array", report(`{"token":"`+live+`"}`, gh.id, gh.sign(t, `{"token":"`+live+`"}`)), 400, "invalid_request"},
		{"signed, but empty", report(`[]`, gh.id, gh.sign(t, `[]`)), 400, "invalid_request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := h.call(t, "report-leaks", c.edit)
			if r.Status != c.status || r.code() != c.code {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, c.status, c.code)
			}
			if after := h.snapshot(t); after != before {
				t.Fatalf("a refused report changed the tables:\n%s\n%s", before, after)
			}
		})
	}

	// Signed by GitHub: ours are true positives, the live and the locked
	// one are revoked; the rest changes nothing.
	sig := gh.sign(t, string(raw))
	r := h.call(t, "report-leaks", report(string(raw), gh.id, sig))
	if r.Status != 200 {
		t.Fatalf("report: %d %s", r.Status, r.Body)
	}
	var verdicts []struct {
		TokenRaw  string `json:"token_raw"`
		TokenType string `json:"token_type"`
		Label     string `json:"label"`
	}
	if err := json.Unmarshal(r.Body, &verdicts); err != nil {
		t.Fatal(err)
	}
	want := []string{"true_positive", "true_positive", "true_positive", "false_positive", "false_positive", "false_positive"}
	for i, v := range verdicts {
		if v.Label != want[i] || v.TokenRaw != entries[i].Token || v.TokenType != "pat_token" {
			t.Errorf("verdict %d: %+v, want %s", i, v, want[i])
		}
	}
	if len(verdicts) != len(want) {
		t.Fatalf("%d verdicts for %d entries", len(verdicts), len(want))
	}
	for _, id := range []string{liveID, lockedID, deadID} {
		if st := h.call(t, "admin-get-token", onToken(id)).fields()["status"]; st != "revoked" {
			t.Errorf("token %s is %v after the report, want revoked", id, st)
		}
	}
	var leaked int
	for _, id := range []string{liveID, lockedID, deadID} {
		events := h.call(t, "list-token-events", as(owner, ownerGrants), onToken(id)).fields()["items"].([]any)
		for _, e := range events {
			ev := e.(map[string]any)
			if ev["action"] != "token.leaked" {
				continue
			}
			leaked++
			d := ev["details"].(map[string]any)
			if d["url"] != url || d["reason"] != "leaked" || d["reportedBy"] != "github-secret-scanning" || ev["actorRole"] != "scanner" {
				t.Errorf("token %s: leak event %v", id, ev)
			}
		}
	}
	if leaked != 2 {
		t.Errorf("%d token.leaked events, want 2 (the live and the locked token; the dead one is left as it was)", leaked)
	}
	for who, n := range map[string]int{owner + "@example.com": 2, admins: 2} {
		var mails []localstack.Email
		for _, m := range localstack.Inbox(t, who) {
			if strings.Contains(m.Subject, "public") || strings.Contains(m.Subject, "Leaked") {
				mails = append(mails, m)
			}
		}
		if len(mails) != n {
			t.Fatalf("%s got %d leak mails, want %d", who, len(mails), n)
		}
		for _, m := range mails {
			if !strings.Contains(m.Body.Text, url) || !strings.Contains(m.Body.HTML, url) || !strings.Contains(m.Body.Text, "GitHub secret scanning") {
				t.Errorf("the mail to %s does not say where and by whom:\n%s", who, m.Body.Text)
			}
		}
	}

	// The same report again is refused, and changes nothing.
	after := h.snapshot(t)
	if r := h.call(t, "report-leaks", report(string(raw), gh.id, sig)); r.Status != 409 || r.code() != "conflict" {
		t.Fatalf("replay: %d %s, want 409 conflict", r.Status, r.Body)
	}
	if again := h.snapshot(t); again != after {
		t.Fatal("a replayed report changed the tables")
	}
}

func TestPeopleReportLeakedTokens(t *testing.T) {
	h, _, admins := leakHarness(t)
	owner := fmt.Sprintf("user-leak-%d", time.Now().UnixNano())
	mine := as(owner, ownerGrants)
	create := func() (string, string) {
		f := h.call(t, "create-token", mine, body(`{"name":"ci","scopes":["crm:read"]}`)).fields()
		return f["id"].(string), f["token"].(string)
	}
	id, secret := create()
	before := h.snapshot(t)
	for _, c := range []struct {
		name   string
		fn     string
		edits  []edit
		status int
		code   string
	}{
		{"another user's token", "report-leaked-token", []edit{as("mallory", ownerGrants), onToken(id), body(`{}`)}, 404, "not_found"},
		{"a URL that is no web address", "report-leaked-token", []edit{mine, onToken(id), body(`{"url":"javascript:alert(1)"}`)}, 400, "invalid_request"},
		{"a URL with credentials", "report-leaked-token", []edit{mine, onToken(id), body(`{"url":"https://user:pw@example.com/x"}`)}, 400, "invalid_request"},
		{"the token itself in the note", "report-leaked-token", []edit{mine, onToken(id), body(`{"note":"it was ` + secret + `"}`)}, 400, "invalid_request"},
		{"an unknown field", "report-leaked-token", []edit{mine, onToken(id), body(`{"reason":"x"}`)}, 400, "invalid_request"},
		{"not an administrator", "admin-report-leaked-token", []edit{mine, onToken(id), body(`{}`)}, 403, "forbidden"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if r := h.call(t, c.fn, c.edits...); r.Status != c.status || r.code() != c.code {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, c.status, c.code)
			}
			if after := h.snapshot(t); after != before {
				t.Fatal("a refused report changed the tables")
			}
		})
	}
	where := "https://gist.github.com/example/1234"
	r := h.call(t, "report-leaked-token", mine, onToken(id), body(`{"url":"`+where+`","note":"pasted by mistake"}`))
	if r.Status != 200 || r.fields()["status"] != "revoked" {
		t.Fatalf("owner's report: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "report-leaked-token", mine, onToken(id), body(`{}`)); r.Status != 409 || r.code() != "token_not_active" {
		t.Fatalf("report a revoked token: %d %s", r.Status, r.Body)
	}
	other, _ := create()
	r = h.call(t, "admin-report-leaked-token", onToken(other), body(""))
	if r.Status != 200 || r.fields()["status"] != "revoked" || r.fields()["userId"] != owner {
		t.Fatalf("administrator's report: %d %s", r.Status, r.Body)
	}
	ev := h.call(t, "list-token-events", mine, onToken(id)).fields()["items"].([]any)
	last := ev[len(ev)-1].(map[string]any)
	if d := last["details"].(map[string]any); last["action"] != "token.leaked" || d["url"] != where || d["note"] != "pasted by mistake" || last["actorRole"] != "user" {
		t.Errorf("owner's leak event: %v", last)
	}
	if n := len(localstack.Inbox(t, admins)); n != 2 {
		t.Errorf("administrators got %d mails, want 2", n)
	}
	// Two creation notices (one per token) and two leak mails.
	if n := len(localstack.Inbox(t, owner+"@example.com")); n != 4 {
		t.Errorf("the owner got %d mails, want 4", n)
	}
}
