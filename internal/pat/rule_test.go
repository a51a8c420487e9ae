package pat_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamodbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/pat"
)

var root = pat.Identity{UserID: "root", Email: "root@example.com", Admin: true}

// An owner's change of a token refreshes the owner's rights from the
// caller's claims first, as creating a token does: a user the identity
// provider took crm:update from can neither extend nor rename a token that
// holds it, the token no longer carries it for the authorizer, and the
// administrators' view of the user shows the rights the user now has.
func TestChangesRefreshTheOwnersRights(t *testing.T) {
	f := newFixture(t, testConfig)
	ctx := context.Background()
	wide := f.mustCreate(t, alice, "wide", "crm:read", "crm:update")
	narrow := f.mustCreate(t, alice, "narrow", "crm:read")
	before, _ := f.svc.AdminGetToken(ctx, root, wide.Token.ID)

	demoted := alice
	demoted.Permissions = []string{"crm:read", "orders:read"}
	f.now = f.now.Add(time.Hour)
	year := 365
	_, err := f.svc.ExtendToken(ctx, demoted, wide.Token.ID, pat.ExtendInput{ExpiresInDays: &year})
	wantCode(t, err, pat.CodeScopeNotPermitted)
	name := "renamed"
	_, err = f.svc.UpdateToken(ctx, demoted, wide.Token.ID, pat.UpdateInput{Name: &name})
	wantCode(t, err, pat.CodeScopeNotPermitted)

	after, err := f.svc.AdminGetToken(ctx, root, wide.Token.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !after.ExpiresAt.Equal(*before.ExpiresAt) || after.ExtendedAt != nil || after.Name != "wide" {
		t.Fatalf("a refused change changed the token: %+v", after)
	}
	if slices.Contains(after.Owner.Scopes, "crm:update") {
		t.Fatalf("the authorizer's copy of the owner still grants crm:update: %v", after.Owner.Scopes)
	}
	u, err := f.svc.AdminGetUser(ctx, root, alice.UserID)
	if err != nil || strings.Join(u.Permissions, " ") != "crm:read orders:read" {
		t.Fatalf("the administrators see alice holding %v (%v)", u.Permissions, err)
	}
	// A token within the rights left is still the owner's to change.
	if kept, err := f.svc.ExtendToken(ctx, demoted, narrow.Token.ID, pat.ExtendInput{ExpiresInDays: &year}); err != nil || kept.ExtendedAt == nil {
		t.Fatalf("extend a token within the rights left: %+v %v", kept, err)
	}
}

// A locked token is the administrators' until they unlock it: its owner
// may revoke it, nothing else (not even rename it).
func TestLockedTokenChangesOnlyByRevoking(t *testing.T) {
	f := newFixture(t, testConfig)
	ctx := context.Background()
	c := f.mustCreate(t, alice, "t", "crm:read")
	if _, err := f.svc.AdminLockToken(ctx, root, c.Token.ID, "leaked"); err != nil {
		t.Fatal(err)
	}
	name := "renamed"
	_, err := f.svc.UpdateToken(ctx, alice, c.Token.ID, pat.UpdateInput{Name: &name})
	wantCode(t, err, pat.CodeTokenLocked)
	_, err = f.svc.ExtendToken(ctx, alice, c.Token.ID, pat.ExtendInput{})
	wantCode(t, err, pat.CodeTokenLocked)
	_, err = f.svc.RotateToken(ctx, alice, c.Token.ID, pat.RotateInput{})
	wantCode(t, err, pat.CodeTokenLocked)
	if err := f.svc.RevokeToken(ctx, alice, c.Token.ID); err != nil {
		t.Fatalf("revoke a locked token: %v", err)
	}
}

// paused runs interfere, once, in the window between a service's read of a
// token and the transaction that writes its change (the first transaction
// whose update matches writes), as a concurrent request would.
type paused struct {
	dynamo.API
	writes    func(expr string) bool
	interfere func()
	once      sync.Once
}

func (p *paused) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	for _, it := range in.TransactItems {
		if it.Update != nil && p.writes(aws.ToString(it.Update.UpdateExpression)) {
			p.once.Do(p.interfere)
		}
	}
	return p.API.TransactWriteItems(ctx, in, o...)
}

// A lock or a disable that lands between an owner's read of a token and
// the write of the owner's change always wins: the change fails and
// writes nothing, whether it is an extension, a rename or a keep link.
func TestLockOrDisableWinsOverAConcurrentChange(t *testing.T) {
	extending := func(expr string) bool { return strings.Contains(expr, "extendedAt") }
	renaming := func(expr string) bool { return strings.Contains(expr, "#name") }
	lock := func(f *fixture, id string) error {
		_, err := f.svc.AdminLockToken(context.Background(), root, id, "seen in a public repository")
		return err
	}
	disable := func(f *fixture, _ string) error {
		off := pat.UserDisabled
		_, err := f.svc.AdminUpdateUser(context.Background(), root, alice.UserID, pat.UserUpdate{Status: &off})
		return err
	}
	year := 365
	extend := func(svc *pat.Service, id, _ string) error {
		_, err := svc.ExtendToken(context.Background(), alice, id, pat.ExtendInput{ExpiresInDays: &year})
		return err
	}
	rename := func(svc *pat.Service, id, _ string) error {
		name := "renamed"
		_, err := svc.UpdateToken(context.Background(), alice, id, pat.UpdateInput{Name: &name})
		return err
	}
	keep := func(svc *pat.Service, _, code string) error {
		_, _, err := svc.KeepToken(context.Background(), code, "203.0.113.9")
		return err
	}
	for _, c := range []struct {
		name      string
		writes    func(string) bool
		change    func(svc *pat.Service, id, code string) error
		interfere func(f *fixture, id string) error
		want      []pat.Code
	}{
		{"extend, then a lock", extending, extend, lock, []pat.Code{pat.CodeTokenLocked}},
		{"keep link, then a lock", extending, keep, lock, []pat.Code{pat.CodeNotFound, pat.CodeTokenLocked}},
		{"rename, then a lock", renaming, rename, lock, []pat.Code{pat.CodeTokenLocked}},
		{"extend, then a disable", extending, extend, disable, []pat.Code{pat.CodeUserDisabled}},
		{"keep link, then a disable", extending, keep, disable, []pat.Code{pat.CodeNotFound, pat.CodeUserDisabled}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig
			cfg.DefaultLifetime = 30 * 24 * time.Hour
			f := newFixture(t, cfg)
			ctx := context.Background()
			days := 10
			tok, err := f.svc.CreateToken(ctx, alice, pat.CreateInput{Name: "t", Scopes: []string{"crm:read"}, ExpiresInDays: &days})
			if err != nil {
				t.Fatal(err)
			}
			ledger.AddToken(tok.Secret)
			f.now = f.now.Add(5 * 24 * time.Hour)
			code, err := f.svc.IssueKeepLink(ctx, tok.Token, pat.KeepExpiry, f.now.Add(48*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			// The owner's request runs in its own function; the
			// administrator's lands while it is between read and write.
			ran, interfered := false, error(nil)
			owner := f.serviceOn(t, &paused{API: f.db, writes: c.writes, interfere: func() {
				done := make(chan error)
				go func() { done <- c.interfere(f, tok.Token.ID) }()
				ran, interfered = true, <-done
			}}, cfg)
			err = c.change(owner, tok.Token.ID, code)
			if !ran || interfered != nil {
				t.Fatalf("the administrator's change ran: %v, failed: %v (the owner's: %v)", ran, interfered, err)
			}
			if got := pat.ErrorCode(err); !slices.Contains(c.want, got) {
				t.Fatalf("the owner's change answered %v (%s), want one of %v", err, got, c.want)
			}
			after, err := f.svc.AdminGetToken(ctx, root, tok.Token.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !after.ExpiresAt.Equal(*tok.Token.ExpiresAt) || after.ExtendedAt != nil || after.Name != "t" {
				t.Fatalf("the owner's change was written after the administrator's: %+v", after)
			}
			events, err := f.svc.AdminListAudit(ctx, root, pat.AuditFilter{TokenID: tok.Token.ID}, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range events.Items {
				if ev.Action == pat.ActionExtended || ev.Action == pat.ActionUpdated {
					t.Fatalf("audit records a change that lost: %+v", ev)
				}
			}
		})
	}
}

// A keep link restarts the inactivity period and, from an expiry reminder,
// gives the token its own lifetime anew: a 3-day token kept on its
// second day lives 3 more days, not the default 180. The lifetime is the
// one its owner chose signed in (at creation, or by extending), survives a
// rotation, and is never longer than the longest lifetime allowed now.
func TestKeepLinkKeepsTheTokensOwnLifetime(t *testing.T) {
	f := newFixture(t, testConfig)
	ctx := context.Background()
	days := 3
	c, err := f.svc.CreateToken(ctx, alice, pat.CreateInput{Name: "short", Scopes: []string{"crm:read"}, ExpiresInDays: &days})
	if err != nil {
		t.Fatal(err)
	}
	ledger.AddToken(c.Secret)
	keep := func(svc *pat.Service, tok pat.Token) pat.Token {
		t.Helper()
		code, err := f.svc.IssueKeepLink(ctx, tok, pat.KeepExpiry, f.now.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		_, kept, err := svc.KeepToken(ctx, code, "203.0.113.9")
		if err != nil {
			t.Fatal(err)
		}
		return kept
	}
	f.now = f.now.Add(2 * 24 * time.Hour)
	kept := keep(f.svc, c.Token)
	if want := f.now.Add(3 * 24 * time.Hour); !kept.ExpiresAt.Equal(want) || !kept.ExtendedAt.Equal(f.now) {
		t.Fatalf("kept on day 2: expires %v, extended %v; want %v and now", kept.ExpiresAt, kept.ExtendedAt, want)
	}
	// Kept again a day later: still 3 days from then, not 3 days more
	// than the span it has lived.
	f.now = f.now.Add(24 * time.Hour)
	if kept = keep(f.svc, kept); !kept.ExpiresAt.Equal(f.now.Add(3 * 24 * time.Hour)) {
		t.Fatalf("kept on day 3: expires %v", kept.ExpiresAt)
	}
	// A rotation keeps that lifetime too.
	r, err := f.svc.RotateToken(ctx, alice, c.Token.ID, pat.RotateInput{})
	if err != nil {
		t.Fatal(err)
	}
	ledger.AddToken(r.Secret)
	if !r.Token.ExpiresAt.Equal(f.now.Add(3 * 24 * time.Hour)) {
		t.Fatalf("rotated: expires %v", r.Token.ExpiresAt)
	}
	// The owner, signed in, chooses 300 days: that is its lifetime from then.
	long := 300
	if _, err := f.svc.ExtendToken(ctx, alice, r.Token.ID, pat.ExtendInput{ExpiresInDays: &long}); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(290 * 24 * time.Hour)
	got, _ := f.svc.GetToken(ctx, alice, r.Token.ID)
	if kept = keep(f.svc, got); !kept.ExpiresAt.Equal(f.now.Add(300 * 24 * time.Hour)) {
		t.Fatalf("kept after a 300-day extension: expires %v", kept.ExpiresAt)
	}
	// An operator lowered the longest lifetime meanwhile: a link keeps the
	// token no longer than that.
	lower := testConfig
	lower.MaxLifetime, lower.DefaultLifetime = 90*24*time.Hour, 90*24*time.Hour
	f.now = f.now.Add(295 * 24 * time.Hour)
	got, _ = f.svc.GetToken(ctx, alice, r.Token.ID)
	if kept = keep(f.serviceOn(t, f.db, lower), got); !kept.ExpiresAt.Equal(f.now.Add(90 * 24 * time.Hour)) {
		t.Fatalf("kept under a 90-day maximum: expires %v", kept.ExpiresAt)
	}
}

// lagging is the owner index as it can be on AWS, where a global
// secondary index is eventually consistent: it does not show the tokens
// named in hidden yet (a count of it does not count them either).
type lagging struct {
	dynamo.API
	hidden map[string]bool
}

func (l *lagging) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	if aws.ToString(in.IndexName) != dynamo.OwnerIndex {
		return l.API.Query(ctx, in, o...)
	}
	all := *in
	all.Select = ""
	out, err := l.API.Query(ctx, &all, o...)
	if err != nil {
		return nil, err
	}
	out.Items = slices.DeleteFunc(out.Items, func(item map[string]dynamodbtypes.AttributeValue) bool {
		id, _ := item["id"].(*dynamodbtypes.AttributeValueMemberS)
		return id != nil && l.hidden[id.Value]
	})
	out.Count = int32(len(out.Items))
	if in.Select == dynamodbtypes.SelectCount {
		out.Items = nil
	}
	return out, nil
}

// Revoke-all (the owner's and an administrator's of one owner) revokes a
// token created a moment before, which the owner index does not show
// yet, and says complete only when no token of the owner is left.
func TestRevokeAllSeesATokenTheIndexDoesNotShowYet(t *testing.T) {
	for _, c := range []struct {
		name   string
		revoke func(svc *pat.Service, preview bool, confirm *int) (pat.RevokeAllResult, error)
	}{
		{"own", func(svc *pat.Service, preview bool, confirm *int) (pat.RevokeAllResult, error) {
			return svc.RevokeAllTokens(context.Background(), alice, preview, confirm)
		}},
		{"administrator's", func(svc *pat.Service, preview bool, confirm *int) (pat.RevokeAllResult, error) {
			return svc.AdminRevokeAll(context.Background(), root, pat.RevokeAllInput{OwnerID: alice.UserID, Preview: preview, Confirm: confirm})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, testConfig)
			old := []string{f.mustCreate(t, alice, "old 1", "crm:read").Token.ID, f.mustCreate(t, alice, "old 2", "crm:read").Token.ID}
			f.now = f.now.Add(time.Second)
			fresh := f.mustCreate(t, alice, "a moment before", "crm:read").Token.ID
			svc := f.serviceOn(t, &lagging{API: f.db, hidden: map[string]bool{fresh: true}}, testConfig)

			preview, err := c.revoke(svc, true, nil)
			if err != nil || preview.Count != 3 {
				t.Fatalf("preview: %+v %v; want a count of 3", preview, err)
			}
			res, err := c.revoke(svc, false, &preview.Count)
			if err != nil || res.Revoked != 3 || !res.Complete {
				t.Fatalf("revoke-all: %+v %v; want 3 revoked, complete", res, err)
			}
			for _, id := range append(old, fresh) {
				if tok, err := f.svc.AdminGetToken(context.Background(), root, id); err != nil || tok.Status != pat.StatusRevoked {
					t.Fatalf("token %s after a complete revoke-all: %s %v", id, tok.Status, err)
				}
			}
		})
	}
}

// An administrator cannot disable or limit their own account, so that the
// last one cannot lock everyone out of the administration; another
// administrator can, and can enable them again.
func TestAdministratorCannotLockThemselvesOut(t *testing.T) {
	f := newFixture(t, testConfig)
	ctx := context.Background()
	off, on := pat.UserDisabled, pat.UserActive
	limit := []string{"crm:read"}
	for _, in := range []pat.UserUpdate{{Status: &off}, {Limit: &limit}, {Status: &on}} {
		_, err := f.svc.AdminUpdateUser(ctx, root, root.UserID, in)
		wantCode(t, err, pat.Code("own_account"))
	}
	if _, err := f.svc.AdminListTokens(ctx, root, pat.TokenFilter{}, "", 0); err != nil {
		t.Fatalf("the administrator after refused self-changes: %v", err)
	}
	other := pat.Identity{UserID: "root2", Admin: true}
	if _, err := f.svc.AdminUpdateUser(ctx, other, root.UserID, pat.UserUpdate{Status: &off}); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.AdminListTokens(ctx, root, pat.TokenFilter{}, "", 0)
	wantCode(t, err, pat.CodeUserDisabled)
	if _, err := f.svc.AdminUpdateUser(ctx, other, root.UserID, pat.UserUpdate{Status: &on}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AdminListTokens(ctx, root, pat.TokenFilter{}, "", 0); err != nil {
		t.Fatalf("re-enabled by another administrator: %v", err)
	}
}
