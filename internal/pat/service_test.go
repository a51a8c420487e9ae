package pat_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/scope"
	"github.com/patservice/pat/internal/token"
)

var testConfig = pat.Config{
	DefaultLifetime:  180 * 24 * time.Hour,
	MaxLifetime:      365 * 24 * time.Hour,
	MaxActiveTokens:  5,
	RevokedRetention: 30 * 24 * time.Hour,
	AuditRetention:   365 * 24 * time.Hour,
}

type fixture struct {
	svc    *pat.Service
	logs   *localstack.SyncBuffer
	now    time.Time
	db     *dynamodb.Client
	tables localstack.Tables
	cfg    pat.Config
}

// Every token issued and table used here is checked after the whole suite:
// no stored item and no log line may hold any part of a secret.
var ledger localstack.Ledger

func TestMain(m *testing.M) { os.Exit(ledger.Main(m)) }

// testNow starts the test clock at the real time: DynamoDB Local's TTL
// sweeper deletes items whose TTL the real clock has passed.
func testNow() time.Time { return time.Now().UTC().Truncate(time.Second) }

func newFixture(t *testing.T, cfg pat.Config) *fixture {
	t.Helper()
	db := localstack.Client(t)
	tables := localstack.MustTables(t, db)
	ledger.AddTables(db, tables)
	f := &fixture{logs: &localstack.SyncBuffer{}, now: testNow(), db: db, tables: tables, cfg: cfg}
	f.svc = f.serviceOn(t, db, cfg)
	return f
}

// serviceOn is another service on the fixture's tables and clock, as
// another function would run it: through another client (one that lags
// or pauses) or with other rules.
func (f *fixture) serviceOn(t *testing.T, db dynamo.API, cfg pat.Config) *pat.Service {
	t.Helper()
	format, err := token.NewFormat(token.DefaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := scope.Default()
	if err != nil {
		t.Fatal(err)
	}
	svc := pat.NewService(dynamo.NewStore(db, f.tables.Tokens, f.tables.Audit).Stores(), format, catalog, cfg,
		slog.New(slog.NewJSONHandler(io.MultiWriter(f.logs, &ledger.Logs), nil)))
	svc.Now = func() time.Time { return f.now }
	return svc
}

var alice = pat.Identity{UserID: "alice", Email: "alice@example.com", Permissions: []string{"crm:read", "crm:update", "orders:read"}}
var bob = pat.Identity{UserID: "bob", Email: "bob@example.com", Permissions: []string{"crm:read"}}

func (f *fixture) mustCreate(t *testing.T, id pat.Identity, name string, scopes ...string) pat.Created {
	t.Helper()
	c, err := f.svc.CreateToken(context.Background(), id, pat.CreateInput{Name: name, Scopes: scopes})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	ledger.AddToken(c.Secret)
	return c
}

func wantCode(t *testing.T, err error, code pat.Code) {
	t.Helper()
	if got := pat.ErrorCode(err); got != code {
		t.Fatalf("error %v has code %s, want %s", err, got, code)
	}
}

func TestCreateDefaults(t *testing.T) {
	f := newFixture(t, testConfig)
	c := f.mustCreate(t, alice, "  ci deploy  ", "orders:read", "crm:read", "crm:read")
	if _, err := f.svc.Format().Parse(c.Secret); err != nil {
		t.Fatalf("issued token does not parse: %v", err)
	}
	got, err := f.svc.GetToken(context.Background(), alice, c.Token.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "ci deploy" || strings.Join(got.Scopes, ",") != "crm:read,orders:read" || got.StatusAt(f.now) != pat.StatusActive {
		t.Fatalf("stored token = %+v", got)
	}
	if want := f.now.Add(180 * 24 * time.Hour); got.ExpiresAt == nil || !got.ExpiresAt.Equal(want) {
		t.Fatalf("expiresAt = %v, want %v", got.ExpiresAt, want)
	}
	parsed, _ := f.svc.Format().Parse(c.Secret)
	if d := parsed.Digest(); !d.Equal(got.Digest) {
		t.Fatal("stored digest is not the token's SHA-256")
	}
	if f.now = f.now.Add(181 * 24 * time.Hour); got.StatusAt(f.now) != pat.StatusExpired {
		t.Fatal("token past its expiry is not expired")
	}
}

func TestCreateRejectsBadInput(t *testing.T) {
	f := newFixture(t, testConfig)
	days := func(n int) *int { return &n }
	at := func(d time.Duration) *time.Time { x := f.now.Add(d); return &x }
	cases := []struct {
		name string
		in   pat.CreateInput
		code pat.Code
	}{
		{"no name", pat.CreateInput{Scopes: []string{"crm:read"}}, pat.CodeInvalid},
		{"long name", pat.CreateInput{Name: strings.Repeat("n", 101), Scopes: []string{"crm:read"}}, pat.CodeInvalid},
		{"control character", pat.CreateInput{Name: "a\x00b", Scopes: []string{"crm:read"}}, pat.CodeInvalid},
		{"no scopes", pat.CreateInput{Name: "x"}, pat.CodeInvalid},
		{"unknown scope", pat.CreateInput{Name: "x", Scopes: []string{"crm:read", "hr:read"}}, pat.CodeUnknownScope},
		{"beyond permissions", pat.CreateInput{Name: "x", Scopes: []string{"crm:delete"}}, pat.CodeScopeNotPermitted},
		{"zero days", pat.CreateInput{Name: "x", Scopes: []string{"crm:read"}, ExpiresInDays: days(0)}, pat.CodeInvalid},
		{"beyond max days", pat.CreateInput{Name: "x", Scopes: []string{"crm:read"}, ExpiresInDays: days(366)}, pat.CodeInvalid},
		{"past date", pat.CreateInput{Name: "x", Scopes: []string{"crm:read"}, ExpiresAt: at(-time.Hour)}, pat.CodeInvalid},
		{"date beyond max", pat.CreateInput{Name: "x", Scopes: []string{"crm:read"}, ExpiresAt: at(366 * 24 * time.Hour)}, pat.CodeInvalid},
		{"two expiries", pat.CreateInput{Name: "x", Scopes: []string{"crm:read"}, ExpiresAt: at(time.Hour), ExpiresInDays: days(3)}, pat.CodeInvalid},
		{"never not allowed", pat.CreateInput{Name: "x", Scopes: []string{"crm:read"}, NeverExpires: true}, pat.CodeInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.CreateToken(context.Background(), alice, tc.in)
			wantCode(t, err, tc.code)
		})
	}
	page, err := f.svc.ListTokens(context.Background(), alice, pat.OwnTokenFilter{}, "", 0)
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("rejected requests left %d tokens (err %v)", len(page.Items), err)
	}
}

func TestScopeErrorNamesScopes(t *testing.T) {
	f := newFixture(t, testConfig)
	_, err := f.svc.CreateToken(context.Background(), alice, pat.CreateInput{Name: "x", Scopes: []string{"crm:delete", "crm:read", "accounting:read"}})
	e, ok := errors.AsType[*pat.Error](err)
	if !ok || strings.Join(e.Scopes, ",") != "accounting:read,crm:delete" {
		t.Fatalf("error = %v, want the two missing scopes named", err)
	}
}

func TestExpiryChoices(t *testing.T) {
	cfg := testConfig
	cfg.AllowNeverExpires = true
	f := newFixture(t, cfg)
	days := 30
	at := f.now.Add(48*time.Hour + 1500*time.Millisecond)
	cases := []struct {
		name string
		in   pat.CreateInput
		want *time.Time
	}{
		{"in days", pat.CreateInput{ExpiresInDays: &days}, ptr(f.now.Add(30 * 24 * time.Hour))},
		{"at date, to the second", pat.CreateInput{ExpiresAt: &at}, ptr(at.Truncate(time.Second))},
		{"never", pat.CreateInput{NeverExpires: true}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Name, tc.in.Scopes = tc.name, []string{"crm:read"}
			c, err := f.svc.CreateToken(context.Background(), alice, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := f.svc.GetToken(context.Background(), alice, c.Token.ID)
			if (got.ExpiresAt == nil) != (tc.want == nil) || got.ExpiresAt != nil && !got.ExpiresAt.Equal(*tc.want) {
				t.Fatalf("expiresAt = %v, want %v", got.ExpiresAt, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestActiveTokenCap(t *testing.T) {
	f := newFixture(t, testConfig)
	var first pat.Created
	for i := range testConfig.MaxActiveTokens {
		c := f.mustCreate(t, alice, fmt.Sprint("t", i), "crm:read")
		if i == 0 {
			first = c
		}
	}
	_, err := f.svc.CreateToken(context.Background(), alice, pat.CreateInput{Name: "one too many", Scopes: []string{"crm:read"}})
	wantCode(t, err, pat.CodeTokenLimit)
	// Another user is not affected; revoking frees a place.
	f.mustCreate(t, bob, "bob's", "crm:read")
	if err := f.svc.RevokeToken(context.Background(), alice, first.Token.ID); err != nil {
		t.Fatal(err)
	}
	last := f.mustCreate(t, alice, "after revoke", "crm:read")
	// Rotation keeps the count: the replacement takes the old one's place.
	if _, err := f.svc.RotateToken(context.Background(), alice, last.Token.ID, pat.RotateInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.CreateToken(context.Background(), alice, pat.CreateInput{Name: "still too many", Scopes: []string{"crm:read"}})
	wantCode(t, err, pat.CodeTokenLimit)
}

func TestConcurrentCreatesRespectCap(t *testing.T) {
	f := newFixture(t, testConfig)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 12 {
		wg.Go(func() {
			_, err := f.svc.CreateToken(context.Background(), alice, pat.CreateInput{Name: fmt.Sprint(i), Scopes: []string{"crm:read"}})
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if c := pat.ErrorCode(err); c != pat.CodeTokenLimit && c != pat.CodeConflict {
				t.Errorf("create: %v", err)
			}
		})
	}
	wg.Wait()
	page, _ := f.svc.ListTokens(context.Background(), alice, pat.OwnTokenFilter{}, "", 50)
	if ok > testConfig.MaxActiveTokens || len(page.Items) != ok {
		t.Fatalf("%d creates succeeded and %d tokens exist; cap is %d", ok, len(page.Items), testConfig.MaxActiveTokens)
	}
}

func TestUpdate(t *testing.T) {
	f := newFixture(t, testConfig)
	c := f.mustCreate(t, alice, "old", "crm:read")
	name, desc := "new name", "for the nightly export"
	got, err := f.svc.UpdateToken(context.Background(), alice, c.Token.ID, pat.UpdateInput{Name: &name, Description: &desc})
	if err != nil || got.Name != name || got.Description != desc {
		t.Fatalf("update = %+v, %v", got, err)
	}
	stored, _ := f.svc.GetToken(context.Background(), alice, c.Token.ID)
	if stored.Name != name || stored.Description != desc {
		t.Fatalf("stored = %+v", stored)
	}
	_, err = f.svc.UpdateToken(context.Background(), alice, c.Token.ID, pat.UpdateInput{})
	wantCode(t, err, pat.CodeInvalid)
	long := strings.Repeat("x", 101)
	_, err = f.svc.UpdateToken(context.Background(), alice, c.Token.ID, pat.UpdateInput{Name: &long})
	wantCode(t, err, pat.CodeInvalid)
	if err := f.svc.RevokeToken(context.Background(), alice, c.Token.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.UpdateToken(context.Background(), alice, c.Token.ID, pat.UpdateInput{Name: &name})
	wantCode(t, err, pat.CodeTokenNotActive)
}

func TestRevoke(t *testing.T) {
	f := newFixture(t, testConfig)
	c := f.mustCreate(t, alice, "t", "crm:read")
	f.now = f.now.Add(time.Minute)
	if err := f.svc.RevokeToken(context.Background(), alice, c.Token.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := f.svc.GetToken(context.Background(), alice, c.Token.ID)
	if got.Status != pat.StatusRevoked || got.RevokedAt == nil || !got.DeleteAfter.Equal(f.now.Add(testConfig.RevokedRetention).Truncate(time.Second)) {
		t.Fatalf("revoked token = %+v", got)
	}
	if err := f.svc.RevokeToken(context.Background(), alice, c.Token.ID); err != nil {
		t.Fatalf("second revoke: %v", err)
	}
	events, _ := f.svc.ListTokenEvents(context.Background(), alice, c.Token.ID, "", 0)
	if actions := actionsOf(events.Items); actions != "token.created,token.revoked" {
		t.Fatalf("events = %s", actions)
	}
}

func actionsOf(evs []pat.Event) string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Action)
	}
	return strings.Join(out, ",")
}

func TestRotate(t *testing.T) {
	f := newFixture(t, testConfig)
	days := 30
	old, err := f.svc.CreateToken(context.Background(), alice, pat.CreateInput{Name: "ci", Description: "d", Scopes: []string{"crm:read"}, ExpiresInDays: &days})
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Hour)
	next, err := f.svc.RotateToken(context.Background(), alice, old.Token.ID, pat.RotateInput{})
	if err != nil {
		t.Fatal(err)
	}
	ledger.AddToken(old.Secret)
	ledger.AddToken(next.Secret)
	if next.Secret == old.Secret || next.Token.ID == old.Token.ID {
		t.Fatal("rotation returned the same token")
	}
	n, _ := f.svc.GetToken(context.Background(), alice, next.Token.ID)
	if n.Name != "ci" || n.Description != "d" || strings.Join(n.Scopes, ",") != "crm:read" || !n.ExpiresAt.Equal(f.now.Add(30*24*time.Hour)) {
		t.Fatalf("replacement = %+v", n)
	}
	o, _ := f.svc.GetToken(context.Background(), alice, old.Token.ID)
	if o.Status != pat.StatusRevoked || o.ReplacedBy != next.Token.ID {
		t.Fatalf("old token after rotation = %+v", o)
	}
	_, err = f.svc.RotateToken(context.Background(), alice, old.Token.ID, pat.RotateInput{})
	wantCode(t, err, pat.CodeTokenNotActive)

	// A token whose scopes the owner no longer holds is not renewed.
	narrowed := alice
	narrowed.Permissions = []string{"orders:read"}
	_, err = f.svc.RotateToken(context.Background(), narrowed, next.Token.ID, pat.RotateInput{})
	wantCode(t, err, pat.CodeScopeNotPermitted)
}

func TestConcurrentRotationsOneWins(t *testing.T) {
	f := newFixture(t, testConfig)
	c := f.mustCreate(t, alice, "hot", "crm:read")
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for range 50 {
		wg.Go(func() {
			_, err := f.svc.RotateToken(context.Background(), alice, c.Token.ID, pat.RotateInput{})
			mu.Lock()
			defer mu.Unlock()
			switch pat.ErrorCode(err) {
			case "internal":
				if err == nil {
					wins++
					return
				}
				t.Errorf("rotate: %v", err)
			case pat.CodeConflict, pat.CodeTokenNotActive:
				conflicts++
			default:
				t.Errorf("rotate: %v", err)
			}
		})
	}
	wg.Wait()
	page, _ := f.svc.ListTokens(context.Background(), alice, pat.OwnTokenFilter{}, "", 100)
	active := 0
	for _, tok := range page.Items {
		if tok.Status == pat.StatusActive {
			active++
		}
	}
	if wins != 1 || conflicts != 49 || active != 1 || len(page.Items) != 2 {
		t.Fatalf("wins=%d conflicts=%d active=%d tokens=%d; want 1, 49, 1, 2", wins, conflicts, active, len(page.Items))
	}
}

func TestListPagination(t *testing.T) {
	cfg := testConfig
	cfg.MaxActiveTokens = 50
	f := newFixture(t, cfg)
	for i := range 7 {
		f.mustCreate(t, alice, fmt.Sprint("t", i), "crm:read")
		f.now = f.now.Add(time.Second)
	}
	f.mustCreate(t, bob, "bob's", "crm:read")
	var names []string
	cursor := ""
	for pages := 0; ; pages++ {
		page, err := f.svc.ListTokens(context.Background(), alice, pat.OwnTokenFilter{}, cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range page.Items {
			names = append(names, tok.Name)
		}
		if cursor = page.Next; cursor == "" {
			if pages != 2 {
				t.Fatalf("%d pages, want 3", pages+1)
			}
			break
		}
	}
	if got := strings.Join(names, ","); got != "t6,t5,t4,t3,t2,t1,t0" {
		t.Fatalf("listed %s", got)
	}
	for _, bad := range []string{"!!", "Zm9v", "VE9LRU4jYWJj"} {
		_, err := f.svc.ListTokens(context.Background(), alice, pat.OwnTokenFilter{}, bad, 3)
		wantCode(t, err, pat.CodeInvalidCursor)
	}
	_, err := f.svc.ListTokens(context.Background(), alice, pat.OwnTokenFilter{}, "", pat.MaxPageSize+1)
	wantCode(t, err, pat.CodeInvalid)
}

func TestOtherUsersTokensAreNotFound(t *testing.T) {
	f := newFixture(t, testConfig)
	c := f.mustCreate(t, alice, "mine", "crm:read")
	name := "stolen"
	ctx := context.Background()
	_, err := f.svc.GetToken(ctx, bob, c.Token.ID)
	wantCode(t, err, pat.CodeNotFound)
	_, err = f.svc.UpdateToken(ctx, bob, c.Token.ID, pat.UpdateInput{Name: &name})
	wantCode(t, err, pat.CodeNotFound)
	wantCode(t, f.svc.RevokeToken(ctx, bob, c.Token.ID), pat.CodeNotFound)
	_, err = f.svc.RotateToken(ctx, bob, c.Token.ID, pat.RotateInput{})
	wantCode(t, err, pat.CodeNotFound)
	_, err = f.svc.ListTokenEvents(ctx, bob, c.Token.ID, "", 0)
	wantCode(t, err, pat.CodeNotFound)
	got, _ := f.svc.GetToken(ctx, alice, c.Token.ID)
	if got.Name != "mine" || got.Status != pat.StatusActive {
		t.Fatalf("alice's token changed: %+v", got)
	}
}

func TestLogsCarryNoSecret(t *testing.T) {
	f := newFixture(t, testConfig)
	c := f.mustCreate(t, alice, "t", "crm:read")
	r, err := f.svc.RotateToken(context.Background(), alice, c.Token.ID, pat.RotateInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{c.Secret, r.Secret} {
		if strings.Contains(f.logs.String(), secret[len(secret)-30:]) {
			t.Fatal("a log line contains a token secret")
		}
	}
	if !strings.Contains(f.logs.String(), c.Token.ID) {
		t.Fatal("logs do not name the token id")
	}
}

// A list's cursors are bound to the filter as the caller gave it, not to
// the defaults the service fills in at each call (the audit log's time
// range, "now" for expired tokens): the next page, asked for later, goes on.
// Another caller, or the same one with another filter, is refused.
func TestCursorsOutliveTheClockNotTheFilter(t *testing.T) {
	f := newFixture(t, testConfig)
	for i := range 3 {
		f.mustCreate(t, alice, fmt.Sprint("t", i), "crm:read")
		f.now = f.now.Add(time.Second)
	}
	root := pat.Identity{UserID: "root", Admin: true}
	audit, err := f.svc.AdminListAudit(context.Background(), root, pat.AuditFilter{}, "", 1)
	if err != nil || audit.Next == "" {
		t.Fatal(audit, err)
	}
	tokens, err := f.svc.AdminListTokens(context.Background(), root, pat.TokenFilter{Status: pat.StatusActive}, "", 1)
	if err != nil || tokens.Next == "" {
		t.Fatal(tokens, err)
	}
	f.now = f.now.Add(time.Hour)
	if _, err := f.svc.AdminListAudit(context.Background(), root, pat.AuditFilter{}, audit.Next, 1); err != nil {
		t.Fatalf("audit, an hour later: %v", err)
	}
	if _, err := f.svc.AdminListTokens(context.Background(), root, pat.TokenFilter{Status: pat.StatusActive}, tokens.Next, 1); err != nil {
		t.Fatalf("tokens, an hour later: %v", err)
	}
	_, err = f.svc.AdminListAudit(context.Background(), pat.Identity{UserID: "root2", Admin: true}, pat.AuditFilter{}, audit.Next, 1)
	wantCode(t, err, pat.CodeInvalidCursor)
	_, err = f.svc.AdminListAudit(context.Background(), root, pat.AuditFilter{Action: pat.ActionCreated}, audit.Next, 1)
	wantCode(t, err, pat.CodeInvalidCursor)
	_, err = f.svc.AdminListTokens(context.Background(), root, pat.TokenFilter{Status: pat.StatusActive, Now: f.now}, tokens.Next, 1)
	if err != nil {
		t.Fatalf("a caller's Now is not part of the filter: %v", err)
	}
	_, err = f.svc.AdminListTokens(context.Background(), root, pat.TokenFilter{Status: pat.StatusLocked}, tokens.Next, 1)
	wantCode(t, err, pat.CodeInvalidCursor)
}
