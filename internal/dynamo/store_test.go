package dynamo_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
)

// fixture is a store on fresh tables, with helpers that write through it.
type fixture struct {
	db     *dynamodb.Client
	tables localstack.Tables
	store  *dynamo.Store
	now    time.Time
	seq    int
}

var ctx = context.Background()

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := localstack.Client(t)
	// Now, not a fixed date: DynamoDB Local's TTL deletes items whose time
	// has passed within seconds.
	f := &fixture{db: db, tables: localstack.MustTables(t, db), now: time.Now().UTC().Truncate(time.Second)}
	f.store = f.storeOn(t, db)
	return f
}

// storeOn is a store on the fixture's tables through another client (one
// that counts or fails).
func (f *fixture) storeOn(t testing.TB, db dynamo.API) *dynamo.Store {
	t.Helper()
	s := dynamo.NewStore(db, f.tables.Tokens, f.tables.Audit)
	if err := s.SetCursorKey([]byte("dynamo tests: a key of 32 bytes or more")); err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) next(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s%04d", prefix, f.seq)
}

// user makes an active user.
func (f *fixture) user(t testing.TB, id string) {
	t.Helper()
	if _, _, err := f.store.SyncUser(ctx, pat.User{ID: id, Email: id + "@example.com", Permissions: []string{"crm:read"}}, nil); err != nil {
		t.Fatal(err)
	}
}

// event is an audit event about t at the fixture's time.
func (f *fixture) event(action string, t pat.Token) pat.Event {
	return pat.Event{ID: f.next("ev"), Time: f.now, Action: action, TokenID: t.ID, OwnerID: t.UserID, ActorID: t.UserID,
		ActorRole: pat.RoleUser, Outcome: "success", ExpiresAt: f.now.Add(365 * 24 * time.Hour)}
}

// newToken is an active token of user, created at the fixture's time.
// legacyToken puts a token of user as tokens were written before they
// carried a copy of their owner's state.
func (f *fixture) legacyToken(t *testing.T, user string) pat.Token {
	t.Helper()
	legacy := f.newToken(user)
	legacy.Owner = pat.OwnerState{}
	item, err := dynamo.TokenItem(legacy)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &f.tables.Tokens, Item: item}); err != nil {
		t.Fatal(err)
	}
	return legacy
}

func (f *fixture) newToken(user string) pat.Token {
	id := f.next("tok")
	digest := sha256.Sum256([]byte(id))
	exp := f.now.Add(90 * 24 * time.Hour)
	owner, _ := f.store.GetUser(ctx, user) // none: the token carries no owner state
	return pat.Token{ID: id, UserID: user, Name: "n-" + id, Scopes: []string{"crm:read"}, Digest: digest[:], Status: pat.StatusActive,
		CreatedAt: f.now, ExpiresAt: &exp, DeleteAfter: exp.Add(30 * 24 * time.Hour), OwnerEmail: user + "@example.com", Owner: owner.State()}
}

// token creates an active token of user and moves the clock on a second.
func (f *fixture) token(t testing.TB, user string) pat.Token {
	t.Helper()
	tok := f.newToken(user)
	if err := f.store.CreateToken(ctx, tok, 1000, f.event(pat.ActionCreated, tok), nil); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Second)
	return tok
}

func (f *fixture) get(t *testing.T, id string) pat.Token {
	t.Helper()
	tok, err := f.store.GetToken(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *fixture) activeTokens(t *testing.T, user string) int {
	t.Helper()
	u, err := f.store.GetUser(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	return u.ActiveTokens
}

func (f *fixture) count(t *testing.T, table string) int {
	t.Helper()
	return len(localstack.Dump(t, f.db, table))
}

func wantCode(t *testing.T, err error, code pat.Code) {
	t.Helper()
	if got := pat.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %s, want %s", err, got, code)
	}
}

// CreateToken counts the token against its owner's cap in the same
// transaction, and explains a refusal from the owner's record as it was.
func TestCreateTokenConditions(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	for range 2 {
		tok := f.newToken("alice")
		if err := f.store.CreateToken(ctx, tok, 2, f.event(pat.ActionCreated, tok), nil); err != nil {
			t.Fatal(err)
		}
	}
	tokens, audit := f.count(t, f.tables.Tokens), f.count(t, f.tables.Audit)
	over := f.newToken("alice")
	wantCode(t, f.store.CreateToken(ctx, over, 2, f.event(pat.ActionCreated, over), nil), pat.CodeTokenLimit)

	disabled := pat.User{ID: "alice", Status: pat.UserDisabled}
	if _, err := f.store.UpdateUser(ctx, disabled, pat.Event{ID: f.next("ev"), Time: f.now, Action: pat.ActionUserUpdated, OwnerID: "alice",
		ActorID: "root", ActorRole: pat.RoleAdmin, Outcome: "success", ExpiresAt: f.now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	audit++
	wantCode(t, f.store.CreateToken(ctx, over, 10, f.event(pat.ActionCreated, over), nil), pat.CodeUserDisabled)

	nobody := f.newToken("nobody") // no user record
	err := f.store.CreateToken(ctx, nobody, 10, f.event(pat.ActionCreated, nobody), nil)
	wantCode(t, err, pat.CodeInternal)

	if f.count(t, f.tables.Tokens) != tokens || f.count(t, f.tables.Audit) != audit || f.activeTokens(t, "alice") != 2 {
		t.Fatalf("a refused creation wrote something: tokens %d→%d, audit %d→%d, active %d", tokens, f.count(t, f.tables.Tokens), audit, f.count(t, f.tables.Audit), f.activeTokens(t, "alice"))
	}
}

// revocation asks to revoke ts, each with its event, at the fixture's time.
func (f *fixture) revocation(ts ...pat.Token) pat.Revocation {
	r := pat.Revocation{}
	for _, tok := range ts {
		at := f.now
		tok.Status, tok.RevokedAt, tok.DeleteAfter = pat.StatusRevoked, &at, at.Add(30*24*time.Hour)
		r.Tokens = append(r.Tokens, tok)
		r.Events = append(r.Events, f.event(pat.ActionRevoked, tok))
	}
	return r
}

// Revoking tokens of which one was revoked meanwhile skips that one,
// without a second event, and revokes the rest; a locked token is
// revocable.
func TestRevokeTokensThatChanged(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	a, b, c := f.token(t, "alice"), f.token(t, "alice"), f.token(t, "alice")
	if done, err := f.store.RevokeTokens(ctx, f.revocation(a)); err != nil || !slices.Equal(done.IDs, []string{a.ID}) || done.Skipped != nil {
		t.Fatalf("revoke: %+v, %v", done, err)
	}
	audit := f.count(t, f.tables.Audit)
	done, err := f.store.RevokeTokens(ctx, f.revocation(a, b))
	if err != nil || !slices.Equal(done.Skipped, []string{a.ID}) || !slices.Equal(done.IDs, []string{b.ID}) {
		t.Fatalf("revoke again: %+v, %v", done, err)
	}
	if f.get(t, b.ID).Status != pat.StatusRevoked || f.count(t, f.tables.Audit) != audit+1 || f.activeTokens(t, "alice") != 1 {
		t.Fatal("a revocation with a token revoked meanwhile wrote the wrong records")
	}
	cl := c
	cl.Status = pat.StatusLocked
	if err := f.store.SetTokenStatus(ctx, cl, pat.StatusActive, f.event(pat.ActionLocked, c), nil); err != nil {
		t.Fatal(err)
	}
	if done, err := f.store.RevokeTokens(ctx, f.revocation(c)); err != nil || len(done.IDs) != 1 || f.get(t, c.ID).Status != pat.StatusRevoked || f.activeTokens(t, "alice") != 0 {
		t.Fatalf("revoke locked: %+v, %v", done, err)
	}
}

// Of concurrent locks (and unlocks) of one token exactly one succeeds,
// with exactly one audit record; the others are refused, not applied twice.
func TestLockUnlockRaces(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	tok := f.token(t, "alice")
	race := func(from, to pat.Status, action string) {
		t.Helper()
		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			target := tok
			target.Status = to
			ev := f.event(action, tok)
			wg.Go(func() { errs[i] = f.store.SetTokenStatus(ctx, target, from, ev, nil) })
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch pat.ErrorCode(err) {
			case pat.CodeInternal:
				if err != nil {
					t.Fatalf("%s: %v", action, err)
				}
				won++
			case pat.CodeTokenNotActive, pat.CodeConflict:
			default:
				t.Fatalf("%s: %v", action, err)
			}
		}
		if won != 1 || f.get(t, tok.ID).Status != to {
			t.Fatalf("%s: %d succeeded, status %s", action, won, f.get(t, tok.ID).Status)
		}
	}
	race(pat.StatusActive, pat.StatusLocked, pat.ActionLocked)
	race(pat.StatusLocked, pat.StatusActive, pat.ActionUnlocked)
	page, err := f.store.ListEvents(ctx, tok.ID, pat.PageRequest{Limit: 100, List: "t"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range page.Items {
		actions = append(actions, ev.Action)
	}
	if got := strings.Join(actions, ","); got != "token.created,token.locked,token.unlocked" {
		t.Fatalf("audit trail: %s", got)
	}
	// Unlocking an active token, locking a missing one, or someone else's.
	wantCode(t, f.store.SetTokenStatus(ctx, tok, pat.StatusLocked, f.event(pat.ActionUnlocked, tok), nil), pat.CodeTokenNotActive)
	missing := f.newToken("alice")
	missing.Status = pat.StatusLocked
	wantCode(t, f.store.SetTokenStatus(ctx, missing, pat.StatusActive, f.event(pat.ActionLocked, missing), nil), pat.CodeNotFound)
	other := tok
	other.UserID, other.Status = "mallory", pat.StatusActive
	wantCode(t, f.store.SetTokenStatus(ctx, other, pat.StatusLocked, f.event(pat.ActionUnlocked, other), nil), pat.CodeNotFound)
}

// A rename of a revoked or another user's token, a second rotation of one
// token, and a second use of a keep link are refused and write nothing.
func TestTokenWriteConditions(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	tok := f.token(t, "alice")

	rotate := func() error {
		old, repl := tok, f.newToken("alice")
		at := f.now
		old.RevokedAt, old.DeleteAfter = &at, at.Add(time.Hour)
		return f.store.RotateToken(ctx, old, repl, 50, []pat.Event{f.event(pat.ActionRotated, old), f.event(pat.ActionCreated, repl)}, nil)
	}
	if err := rotate(); err != nil {
		t.Fatal(err)
	}
	tokens, audit := f.count(t, f.tables.Tokens), f.count(t, f.tables.Audit)
	wantCode(t, rotate(), pat.CodeConflict)

	renamed := tok
	renamed.Name = "renamed"
	wantCode(t, f.store.UpdateToken(ctx, renamed, tok.Owner.Rev, f.event(pat.ActionUpdated, tok)), pat.CodeTokenNotActive)
	renamed.UserID = "mallory"
	wantCode(t, f.store.UpdateToken(ctx, renamed, tok.Owner.Rev, f.event(pat.ActionUpdated, tok)), pat.CodeNotFound)
	if f.count(t, f.tables.Tokens) != tokens || f.count(t, f.tables.Audit) != audit || f.get(t, tok.ID).Name == "renamed" {
		t.Fatal("a refused write wrote something")
	}

	kept := f.token(t, "alice")
	link := pat.KeepLink{Digest: []byte("digest-of-a-code"), TokenID: kept.ID, UserID: "alice", Purpose: "keep", ExpiresAt: f.now.Add(time.Hour)}
	if err := f.store.PutKeepLink(ctx, link); err != nil {
		t.Fatal(err)
	}
	extend := func() error {
		at := f.now
		kept.ExtendedAt = &at
		return f.store.ExtendToken(ctx, kept, kept.Owner.Rev, f.event(pat.ActionExtended, kept), &link)
	}
	if err := extend(); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Minute)
	wantCode(t, extend(), pat.CodeConflict)
	if got := f.get(t, kept.ID).ExtendedAt; got == nil || !got.Equal(f.now.Add(-time.Minute)) {
		t.Fatalf("extended at %v by a used link", got)
	}
}

// A "this was not me" link is consumed with the revocation of its token:
// once, only for its own token, and a link used meanwhile revokes nothing.
func TestRevocationConsumesItsLink(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	mine, other := f.token(t, "alice"), f.token(t, "alice")
	link := pat.KeepLink{Digest: []byte("digest-of-a-not-me-code"), TokenID: mine.ID, UserID: "alice", Purpose: pat.LinkNotMe, ExpiresAt: f.now.Add(time.Hour)}
	if err := f.store.PutKeepLink(ctx, link); err != nil {
		t.Fatal(err)
	}
	revoke := func(tok pat.Token) (pat.Revoked, error) {
		now := f.now
		tok.Status, tok.RevokedAt, tok.DeleteAfter = pat.StatusRevoked, &now, now.Add(time.Hour)
		return f.store.RevokeTokens(ctx, pat.Revocation{Tokens: []pat.Token{tok}, Events: []pat.Event{f.event(pat.ActionRevoked, tok)}, Link: &link})
	}
	audit := f.count(t, f.tables.Audit)
	_, err := revoke(other)
	wantCode(t, err, pat.CodeNotFound)
	if f.get(t, other.ID).Status != pat.StatusActive || f.count(t, f.tables.Audit) != audit {
		t.Fatal("a link revoked another token")
	}
	if done, err := revoke(mine); err != nil || len(done.IDs) != 1 || f.get(t, mine.ID).Status != pat.StatusRevoked {
		t.Fatalf("revoke by link: %+v %v", done, err)
	}
	if used, err := f.store.GetKeepLink(ctx, link.Digest); err != nil || used.UsedAt == nil {
		t.Fatalf("the link after use: %+v %v", used, err)
	}
	// A link used meanwhile (here by a keep) revokes nothing, not even its
	// own live token.
	link = pat.KeepLink{Digest: []byte("digest-of-another-code"), TokenID: other.ID, UserID: "alice", Purpose: pat.LinkNotMe, ExpiresAt: f.now.Add(time.Hour)}
	if err := f.store.PutKeepLink(ctx, link); err != nil {
		t.Fatal(err)
	}
	at := f.now
	other.ExtendedAt = &at
	if err := f.store.ExtendToken(ctx, other, other.Owner.Rev, f.event(pat.ActionExtended, other), &link); err != nil {
		t.Fatal(err)
	}
	_, err = revoke(other)
	wantCode(t, err, pat.CodeNotFound)
	if f.get(t, other.ID).Status != pat.StatusActive {
		t.Fatal("a used link revoked a token")
	}
}

// Reminders are claimed once: a second claim waits until the first is
// stale, a sent reminder is never claimed again, and a claim fails when the
// token changed since the job read it.
func TestReminderClaims(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	tok := f.token(t, "alice")
	at := func(d time.Duration) string { return f.now.Add(d).Format(time.RFC3339) }
	claim := func(t0 pat.Token, claim, stale string) bool {
		t.Helper()
		ok, err := f.store.ClaimReminder(ctx, t0, "idle-14", []string{"idle-30"}, pat.NoticeSending+claim, pat.NoticeSending+stale)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for _, c := range []struct {
		name         string
		token        pat.Token
		claim, stale string
		want         bool
	}{
		{"first", tok, at(0), at(-15 * time.Minute), true},
		{"while held", tok, at(time.Minute), at(-14 * time.Minute), false},
		{"once stale", tok, at(20 * time.Minute), at(5 * time.Minute), true},
	} {
		if got := claim(c.token, c.claim, c.stale); got != c.want {
			t.Fatalf("%s claim: %v, want %v", c.name, got, c.want)
		}
	}
	notices := f.get(t, tok.ID).Notices
	if notices["idle-14"] != pat.NoticeSending+at(20*time.Minute) || notices["idle-30"] != pat.NoticeSkipped {
		t.Fatalf("notices %v", notices)
	}
	// Releasing with another run's claim does nothing; with its own, frees it.
	if err := f.store.ReleaseReminder(ctx, tok, "idle-14", pat.NoticeSending+at(0)); err != nil {
		t.Fatal(err)
	}
	if claim(tok, at(21*time.Minute), at(0)) {
		t.Fatal("claimed after another run's release")
	}
	if err := f.store.ReleaseReminder(ctx, tok, "idle-14", pat.NoticeSending+at(20*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if !claim(tok, at(22*time.Minute), at(0)) {
		t.Fatal("not claimable after its release")
	}
	if err := f.store.FinishReminder(ctx, tok, "idle-14", pat.NoticeSending+at(22*time.Minute), pat.NoticeSent+at(23*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if claim(tok, at(time.Hour), at(time.Hour)) {
		t.Fatal("a sent reminder was claimed again")
	}
	// Used since the job read it: the claim fails.
	used := f.token(t, "alice")
	stale := used
	if err := dynamo.NewAuthReader(f.db, f.tables.Tokens, f.tables.Audit).RecordUse(ctx, used.ID, pat.Use{At: f.now, SourceIP: "192.0.2.1"}, f.now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if claim(stale, at(0), at(-time.Hour)) {
		t.Fatal("a reminder was claimed for a token used meanwhile")
	}
}

// The job deletes an idle token only as it read it: a use meanwhile keeps
// it, and nothing of the deletion is written.
func TestDeleteIdleAndExpireWhenChangedMeanwhile(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	tok := f.token(t, "alice")
	read := f.get(t, tok.ID)
	if err := dynamo.NewAuthReader(f.db, f.tables.Tokens, f.tables.Audit).RecordUse(ctx, tok.ID, pat.Use{At: f.now}, f.now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	tokens, audit := f.count(t, f.tables.Tokens), f.count(t, f.tables.Audit)
	notice := func() *pat.Notice {
		return &pat.Notice{ID: f.next("n"), UserID: "alice", Message: pat.Message{To: "alice@example.com", Subject: "deleted", Text: "t", HTML: "h"}}
	}
	deleted, err := f.store.DeleteIdle(ctx, read, f.event(pat.ActionDeleted, read), notice())
	if err != nil || deleted {
		t.Fatalf("deleted a token used meanwhile: %v, %v", deleted, err)
	}
	expired, err := f.store.Expire(ctx, read, f.event(pat.ActionExpired, read))
	if err != nil || expired {
		t.Fatalf("expired a token used meanwhile: %v, %v", expired, err)
	}
	if f.count(t, f.tables.Tokens) != tokens || f.count(t, f.tables.Audit) != audit || f.activeTokens(t, "alice") != 1 {
		t.Fatal("a deletion that lost wrote something")
	}
	fresh := f.get(t, tok.ID)
	deleted, err = f.store.DeleteIdle(ctx, fresh, f.event(pat.ActionDeleted, fresh), notice())
	if err != nil || !deleted {
		t.Fatalf("delete as read: %v, %v", deleted, err)
	}
	if _, err := f.store.GetToken(ctx, tok.ID); !errors.Is(err, pat.ErrNotFound) {
		t.Fatalf("still there: %v", err)
	}
	// The token and its last-use entry went, the notice came.
	if f.count(t, f.tables.Tokens) != tokens-1 || f.count(t, f.tables.Audit) != audit+1 || f.activeTokens(t, "alice") != 0 {
		t.Fatal("the deletion's record, notice or count is missing")
	}
}

// cancelling answers every transaction with a cancellation whose reasons
// the test gives: what DynamoDB Local cannot be made to produce at will
// (conflicts, throttling) and the old items the handlers explain.
type cancelling struct {
	dynamo.API
	reasons []types.CancellationReason
	err     error
	last    *dynamodb.TransactWriteItemsInput
}

func (c *cancelling) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.last = in
	if c.err != nil {
		return nil, c.err
	}
	return nil, &types.TransactionCanceledException{Message: aws.String("cancelled"), CancellationReasons: c.reasons}
}

// The transaction helper maps each cancellation reason to the error the
// failed write's handler gives, a conflict to CodeConflict, and anything
// unexplained to an internal error naming the reasons.
func TestTransactionCancellationReasons(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	tok := f.token(t, "alice")
	item := func(status pat.Status, user string) map[string]types.AttributeValue {
		t0 := tok
		t0.Status, t0.UserID = status, user
		it, err := dynamo.TokenItem(t0)
		if err != nil {
			t.Fatal(err)
		}
		return it
	}
	reason := func(code string, old map[string]types.AttributeValue) types.CancellationReason {
		return types.CancellationReason{Code: aws.String(code), Item: old}
	}
	none := reason("None", nil)
	for _, c := range []struct {
		name    string
		reasons []types.CancellationReason
		err     error
		want    pat.Code
		says    string
	}{
		{"token revoked", []types.CancellationReason{reason("ConditionalCheckFailed", item(pat.StatusRevoked, "alice")), none}, nil, pat.CodeTokenNotActive, "is revoked"},
		{"token gone", []types.CancellationReason{reason("ConditionalCheckFailed", nil), none}, nil, pat.CodeNotFound, ""},
		{"another's token", []types.CancellationReason{reason("ConditionalCheckFailed", item(pat.StatusActive, "mallory")), none}, nil, pat.CodeNotFound, ""},
		{"conflict", []types.CancellationReason{none, reason("TransactionConflict", nil)}, nil, pat.CodeConflict, ""},
		{"audit record exists", []types.CancellationReason{none, reason("ConditionalCheckFailed", nil)}, nil, pat.CodeInternal, "None,ConditionalCheckFailed"},
		{"throttled", []types.CancellationReason{reason("ThrottlingError", nil), none}, nil, pat.CodeInternal, "ThrottlingError,None"},
		{"no reasons", nil, nil, pat.CodeInternal, "0 reasons for 2 items"},
		{"not a cancellation", nil, errors.New("connection reset"), pat.CodeInternal, "connection reset"},
	} {
		t.Run(c.name, func(t *testing.T) {
			api := &cancelling{API: f.db, reasons: c.reasons, err: c.err}
			s := f.storeOn(t, api)
			renamed := tok
			renamed.Name = "x"
			err := s.UpdateToken(ctx, renamed, tok.Owner.Rev, f.event(pat.ActionUpdated, tok))
			wantCode(t, err, c.want)
			if c.says != "" && !strings.Contains(err.Error(), c.says) {
				t.Fatalf("error %q does not say %q", err, c.says)
			}
			// The handled write asks for the old item; the audit put needs none.
			items := api.last.TransactItems
			if items[0].Update.ReturnValuesOnConditionCheckFailure != types.ReturnValuesOnConditionCheckFailureAllOld || items[1].Put.ReturnValuesOnConditionCheckFailure != "" {
				t.Fatal("old items asked for the wrong writes")
			}
		})
	}
	// Every failed write of a revocation is named, in order.
	b := f.token(t, "alice")
	api := &cancelling{API: f.db, reasons: []types.CancellationReason{
		reason("ConditionalCheckFailed", nil), none, reason("ConditionalCheckFailed", nil), none, none, none, none}}
	done, err := f.storeOn(t, api).RevokeTokens(ctx, f.revocation(tok, b))
	if err != nil || strings.Join(done.Skipped, ",") != tok.ID+","+b.ID || done.IDs != nil {
		t.Fatalf("revoked %+v, %v", done, err)
	}
}

// A change of the owner reaches every live token; a live token whose item
// is gone (DynamoDB TTL, a restore) leaves the list instead of blocking the
// change for good.
func TestOwnerChangeReachesLiveTokensAndForgetsVanishedOnes(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	kept, vanished := f.token(t, "alice"), f.token(t, "alice")
	if _, err := f.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(f.tables.Tokens),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "TOKEN#" + vanished.ID}, "sk": &types.AttributeValueMemberS{Value: "TOKEN"}}}); err != nil {
		t.Fatal(err)
	}
	off := pat.UserDisabled
	ev := pat.Event{ID: f.next("ev"), Time: f.now, Action: pat.ActionUserUpdated, OwnerID: "alice", ActorID: "root", ActorRole: pat.RoleAdmin,
		Outcome: "success", ExpiresAt: f.now.Add(time.Hour)}
	u, err := f.store.UpdateUser(ctx, pat.User{ID: "alice", Status: off}, ev)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, kept.ID).Owner; got.Status != off || got.Rev != u.Rev {
		t.Fatalf("the live token carries %+v, the owner is at revision %d", got, u.Rev)
	}
	again := pat.UserActive
	ev.ID = f.next("ev")
	if _, err := f.store.UpdateUser(ctx, pat.User{ID: "alice", Status: again}, ev); err != nil {
		t.Fatalf("a second change after the vanished token left the list: %v", err)
	}
}

// An audit record is written once: a write that would replace one fails
// with the change it belongs to, and the record stays as it was.
func TestAuditRecordCannotBeOverwritten(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	id := f.token(t, "alice").ID
	page, err := f.store.ListEvents(ctx, id, pat.PageRequest{Limit: 10})
	if err != nil || len(page.Items) != 1 {
		t.Fatal(page, err)
	}
	before := localstack.Dump(t, f.db, f.tables.Audit)
	forged := page.Items[0]
	forged.Action, forged.ActorID, forged.Details = pat.ActionLocked, "user-mallory", map[string]string{"reason": "covering tracks"}
	tok := f.get(t, id)
	tok.Status = pat.StatusLocked
	if err := f.store.SetTokenStatus(ctx, tok, pat.StatusActive, forged, nil); err == nil {
		t.Fatal("an audit record was overwritten")
	}
	if !reflect.DeepEqual(before, localstack.Dump(t, f.db, f.tables.Audit)) {
		t.Fatal("the audit table changed")
	}
	if got := f.get(t, id); got.Status != pat.StatusActive {
		t.Fatalf("the change went through without its audit record: status %s", got.Status)
	}
}

// Every owner's change of a token (rename, extension) is written only while
// the token is active, unexpired and carries the owner's state of the
// revision the service checked, active: a lock, an expiry or a change of
// the owner since then makes it fail with the reason, writing nothing. A
// token older than that copy has the owner's record checked instead.
func TestOwnersChangeIsGuarded(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	rev := func() int {
		u, err := f.store.GetUser(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		return u.Rev
	}
	rename := func(tok pat.Token, ownerRev int) error {
		tok.Name = "renamed"
		return f.store.UpdateToken(ctx, tok, ownerRev, f.event(pat.ActionUpdated, tok))
	}
	extend := func(tok pat.Token, ownerRev int) error {
		at := f.now
		tok.ExtendedAt = &at
		return f.store.ExtendToken(ctx, tok, ownerRev, f.event(pat.ActionExtended, tok), nil)
	}
	disable := func(status pat.UserStatus) {
		t.Helper()
		if _, err := f.store.UpdateUser(ctx, pat.User{ID: "alice", Status: status}, pat.Event{ID: f.next("ev"), Time: f.now, Action: pat.ActionUserUpdated,
			OwnerID: "alice", ActorID: "root", ActorRole: pat.RoleAdmin, Outcome: "success", ExpiresAt: f.now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	// A legacy token: put as the bulk loader does, without the owner's copy.
	legacy := f.legacyToken(t, "alice")
	locked := f.token(t, "alice")
	locked.Status = pat.StatusLocked
	if err := f.store.SetTokenStatus(ctx, locked, pat.StatusActive, f.event(pat.ActionLocked, locked), nil); err != nil {
		t.Fatal(err)
	}
	locked.Status = pat.StatusActive // as the owner's service read it, before the lock
	expired := f.newToken("alice")
	past := f.now.Add(-time.Minute)
	expired.ExpiresAt = &past
	if err := f.store.CreateToken(ctx, expired, 1000, f.event(pat.ActionCreated, expired), nil); err != nil {
		t.Fatal(err)
	}
	live := f.token(t, "alice")

	tokens, audit := localstack.Dump(t, f.db, f.tables.Tokens), f.count(t, f.tables.Audit)
	for _, write := range []func(pat.Token, int) error{rename, extend} {
		wantCode(t, write(locked, rev()), pat.CodeTokenLocked)
		wantCode(t, write(expired, rev()), pat.CodeTokenNotActive)
		wantCode(t, write(live, rev()-1), pat.CodeConflict) // an older revision: pat.ErrOwnerChanged
		wantCode(t, write(legacy, rev()-1), pat.CodeConflict)
		other := live
		other.UserID = "mallory"
		wantCode(t, write(other, rev()), pat.CodeNotFound)
	}
	if !reflect.DeepEqual(tokens, localstack.Dump(t, f.db, f.tables.Tokens)) || f.count(t, f.tables.Audit) != audit {
		t.Fatal("a refused change wrote something")
	}
	if err := rename(live, rev()); err != nil {
		t.Fatal(err)
	}
	if err := extend(legacy, rev()); err != nil {
		t.Fatal(err)
	}
	// The owner is disabled after the service read the token: the copy on
	// the token, or the owner's record for a legacy token, refuses.
	checked := rev()
	disable(pat.UserDisabled)
	live.Owner = pat.OwnerState{Status: pat.UserActive, Rev: checked}
	for _, write := range []func(pat.Token, int) error{rename, extend} {
		wantCode(t, write(live, checked), pat.CodeUserDisabled)
		wantCode(t, write(legacy, checked), pat.CodeUserDisabled)
	}
	disable(pat.UserActive)
	if got := f.get(t, live.ID); got.Name != "renamed" || got.ExtendedAt != nil {
		t.Fatalf("live token: %+v", got)
	}
	if got := f.get(t, legacy.ID); got.ExtendedAt == nil || got.Name == "renamed" {
		t.Fatalf("legacy token: %+v", got)
	}
}

// A sign-in with another address writes it with the audit event and the
// old address's notice that moved composes, in the change's transaction,
// and on every live token; an empty address keeps the stored one.
func TestSyncUserAnnouncesANewAddress(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	tok := f.token(t, "alice")
	var from, to string
	moved := func(stored pat.User, next string) ([]pat.Event, []pat.Notice, error) {
		from, to = stored.Email, next
		ev := pat.Event{ID: f.next("ev"), Time: f.now, Action: pat.ActionUserEmailChanged, OwnerID: "alice", ActorID: "alice", ActorRole: pat.RoleUser,
			Outcome: "success", Details: map[string]string{"from": stored.Email, "to": next}, ExpiresAt: f.now.Add(time.Hour)}
		return []pat.Event{ev}, []pat.Notice{{ID: f.next("n"), UserID: "alice", Message: pat.Message{UserID: "alice", To: stored.Email, Subject: "changed"}}}, nil
	}
	perms := []string{"crm:read"}
	u, notices, err := f.store.SyncUser(ctx, pat.User{ID: "alice", Permissions: perms}, moved)
	if err != nil || u.Email != "alice@example.com" || len(notices) != 0 || from != "" {
		t.Fatalf("no address: %+v %v %v, moved from %q", u, notices, err, from)
	}
	u, notices, err = f.store.SyncUser(ctx, pat.User{ID: "alice", Email: "alice@new.example", Permissions: perms}, moved)
	if err != nil || u.Email != "alice@new.example" || len(notices) != 1 || from != "alice@example.com" || to != "alice@new.example" {
		t.Fatalf("new address: %+v %v %v, moved %q → %q", u, notices, err, from, to)
	}
	if got := f.get(t, tok.ID).OwnerEmail; got != "alice@new.example" {
		t.Fatalf("the live token's address: %q", got)
	}
	page, err := f.store.ListAudit(ctx, pat.AuditFilter{OwnerID: "alice", Action: pat.ActionUserEmailChanged}, pat.PageRequest{Limit: 10, List: "t"})
	if err != nil || len(page.Items) != 1 || page.Items[0].Details["from"] != "alice@example.com" {
		t.Fatalf("audit: %+v %v", page.Items, err)
	}
	outbox := 0
	for _, item := range localstack.Dump(t, f.db, f.tables.Tokens) {
		if pk, _ := item["pk"].(*types.AttributeValueMemberS); pk != nil && strings.HasPrefix(pk.Value, "NOTICE#") {
			outbox++
		}
	}
	if outbox != 1 {
		t.Fatalf("%d notices in the outbox, want 1", outbox)
	}
}

// OwnerRevocable reads the owner's live tokens from their record, strongly
// consistent: active and locked ones, not revoked ones, and a legacy
// token the record does not list through the owner index.
func TestOwnerRevocable(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	f.user(t, "bob")
	a, b, c := f.token(t, "alice"), f.token(t, "alice"), f.token(t, "alice")
	f.token(t, "bob")
	b.Status = pat.StatusLocked
	if err := f.store.SetTokenStatus(ctx, b, pat.StatusActive, f.event(pat.ActionLocked, b), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.RevokeTokens(ctx, f.revocation(c)); err != nil {
		t.Fatal(err)
	}
	legacy := f.legacyToken(t, "alice")
	got, err := f.store.OwnerRevocable(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tok := range got {
		ids = append(ids, tok.ID)
	}
	slices.Sort(ids)
	want := []string{a.ID, b.ID, legacy.ID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("revocable: %v, want %v", ids, want)
	}
	if got, err := f.store.OwnerRevocable(ctx, "nobody"); err != nil || len(got) != 0 {
		t.Fatalf("a user never seen: %v %v", got, err)
	}
}
