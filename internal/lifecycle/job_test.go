package lifecycle_test

import (
	"context"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/lifecycle"
	"github.com/patservice/pat/internal/localgw"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
)

// Reminders at 14 and 3 days before deletion, each exactly once over
// repeated and concurrent runs; then deletion at 180 days with its audit
// record and a notice.
func TestIdleRemindersThenDeletion(t *testing.T) {
	e := newEnv(t)
	j := e.job(t, e.Mail, nil)
	c := e.create(t, "ci deploy", pat.CreateInput{ExpiresInDays: ptr(365)})

	if rep := e.run(t, j, t0.Add(165*day)); len(rep.Actions) != 0 || len(e.inbox(t)) != 0 {
		t.Fatalf("day 165: %+v", rep)
	}
	e.run(t, j, t0.Add(166*day+time.Hour))
	e.run(t, j, t0.Add(166*day+2*time.Hour))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := j.Run(context.Background(), lifecycle.Options{Now: t0.Add(167 * day)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	mails := e.inbox(t)
	if len(mails) != 1 || !strings.Contains(mails[0].Subject, `"ci deploy" will be deleted on `+date(t0.Add(180*day))) {
		t.Fatalf("after day 166, repeated and concurrent runs: %s", subjects(mails))
	}
	m := mails[0]
	for _, want := range []string{c.Token.ID, "crm:read", "Last used: never", "keep?code=", "console.example.com/tokens/" + c.Token.ID, "use it before"} {
		if !strings.Contains(m.Body.Text, want) {
			t.Errorf("reminder text lacks %q", want)
		}
	}
	for _, want := range []string{c.Token.ID, "crm:read", "keep?code=", "console.example.com/tokens/" + c.Token.ID} {
		if !strings.Contains(m.Body.HTML, want) {
			t.Errorf("reminder HTML lacks %q", want)
		}
	}
	if strings.Contains(m.Body.Text, c.Secret[len(c.Secret)-49:]) {
		t.Fatal("a reminder carries the token's secret")
	}

	e.run(t, j, t0.Add(177*day+time.Hour))
	e.run(t, j, t0.Add(178*day))
	if mails := e.inbox(t); len(mails) != 2 || !strings.Contains(mails[1].Subject, "will be deleted on "+date(t0.Add(180*day))) {
		t.Fatalf("after day 177: %s", subjects(mails))
	}
	if _, ok := e.token(t, c.Token.ID); !ok {
		t.Fatal("deleted before day 180")
	}

	rep := e.run(t, j, t0.Add(180*day+time.Hour))
	if _, ok := e.token(t, c.Token.ID); ok {
		t.Fatalf("not deleted on day 180: %+v", rep)
	}
	trail := e.audit(t, c.Token.ID)
	last := trail[len(trail)-1]
	if last["action"] != pat.ActionDeleted || last["actorId"] != pat.ActorJob || last["reason"] != "inactivity" {
		t.Fatalf("audit trail ends with %v", last)
	}
	mails = e.inbox(t)
	if len(mails) != 3 || !strings.Contains(mails[2].Subject, `"ci deploy" was deleted after 180 days without use`) || !strings.Contains(mails[2].Body.Text, c.Token.ID) {
		t.Fatalf("deletion notice: %s", subjects(mails))
	}
	// The place in the owner's cap is free again, and nothing is left to do.
	if rep := e.run(t, j, t0.Add(181*day)); len(rep.Actions) != 0 || rep.ItemsRead != 0 {
		t.Fatalf("after the deletion: %+v", rep)
	}
	if len(e.inbox(t)) != 3 {
		t.Fatal("mails after the deletion")
	}
}

// A token used after its reminder starts a new period of inactivity, and is
// reminded again when that one runs out.
func TestUseStartsANewPeriod(t *testing.T) {
	e := newEnv(t)
	j := e.job(t, e.Mail, nil)
	c := e.create(t, "laptop", pat.CreateInput{ExpiresInDays: ptr(365)})
	e.run(t, j, t0.Add(166*day+time.Hour))
	e.use(t, c.Token.ID, t0.Add(170*day))
	if rep := e.run(t, j, t0.Add(178*day)); rep.Rescheduled != 1 || len(rep.Actions) != 0 {
		t.Fatalf("after the use: %+v", rep)
	}
	if rep := e.run(t, j, t0.Add(181*day)); len(rep.Actions) != 0 {
		t.Fatalf("deleted although used: %+v", rep)
	}
	e.run(t, j, t0.Add(170*day+166*day+time.Hour))
	if mails := e.inbox(t); len(mails) != 2 {
		t.Fatalf("want a reminder per period of inactivity: %s", subjects(mails))
	}
}

// storeHook runs a function between the job's read of due items and its
// writes: a request that uses the token meanwhile.
type storeHook struct {
	lifecycle.Store
	afterPage func()
}

func (s storeHook) DuePage(ctx context.Context, day string, now time.Time, cursor string, limit int) ([]pat.DueItem, string, error) {
	items, next, err := s.Store.DuePage(ctx, day, now, cursor, limit)
	if len(items) > 0 && s.afterPage != nil {
		s.afterPage()
	}
	return items, next, err
}

func TestTokenUsedBetweenSelectionAndDeletionSurvives(t *testing.T) {
	e := newEnv(t)
	c := e.create(t, "busy", pat.CreateInput{ExpiresInDays: ptr(365)})
	plain := e.job(t, e.Mail, nil)
	e.run(t, plain, t0.Add(166*day+time.Hour))
	e.run(t, plain, t0.Add(177*day+time.Hour))
	used := false
	j := e.job(t, e.Mail, func(s lifecycle.Store) lifecycle.Store {
		return storeHook{Store: s, afterPage: func() {
			if !used {
				used = true
				e.use(t, c.Token.ID, t0.Add(180*day+30*time.Minute))
			}
		}}
	})
	rep := e.run(t, j, t0.Add(180*day+time.Hour))
	if _, ok := e.token(t, c.Token.ID); !ok || !used {
		t.Fatalf("the token used meanwhile was deleted: %+v", rep)
	}
	if rep := e.run(t, plain, t0.Add(181*day)); rep.Rescheduled != 1 {
		t.Fatalf("the survivor is not rescheduled: %+v", rep)
	}
	if tok, _ := e.token(t, c.Token.ID); tok.DueAt == nil || !tok.DueAt.Equal(t0.Add(180*day+30*time.Minute+166*day)) {
		t.Fatalf("survivor due at %v", tok.DueAt)
	}
}

func TestExpiryRemindersAndExpiry(t *testing.T) {
	e := newEnv(t)
	j := e.job(t, e.Mail, nil)
	c := e.create(t, "short", pat.CreateInput{ExpiresInDays: ptr(30)})
	e.run(t, j, t0.Add(23*day+time.Hour))
	e.run(t, j, t0.Add(24*day))
	e.run(t, j, t0.Add(29*day+time.Hour))
	e.run(t, j, t0.Add(29*day+2*time.Hour))
	mails := e.inbox(t)
	if len(mails) != 2 || !strings.Contains(mails[0].Subject, `"short" expires on `+date(t0.Add(30*day))) || !strings.Contains(mails[1].Subject, "expires on") {
		t.Fatalf("expiry reminders: %s", subjects(mails))
	}
	if !strings.Contains(mails[0].Body.Text, "extend it with one click") {
		t.Fatalf("expiry reminder: %s", mails[0].Body.Text)
	}
	e.run(t, j, t0.Add(30*day+time.Hour))
	tok, ok := e.token(t, c.Token.ID)
	if !ok || tok.Status != pat.StatusExpired || tok.DueAt != nil {
		t.Fatalf("after expiry: %+v", tok)
	}
	trail := e.audit(t, c.Token.ID)
	if last := trail[len(trail)-1]; last["action"] != pat.ActionExpired || last["actorId"] != pat.ActorJob {
		t.Fatalf("audit trail ends with %v", last)
	}
	if len(e.inbox(t)) != 2 {
		t.Fatal("mail at expiry")
	}
}

// A token created with less life than the first expiry reminder's lead is
// due at once: it lands where the next run reads (the job's bookmark is
// already at today), gets its reminders and, at expiry, its audit record.
func TestShortLivedTokenIsRemindedAndExpired(t *testing.T) {
	e := newEnv(t)
	j := e.job(t, e.Mail, nil)
	e.run(t, j, t0) // the bookmark is now today
	e.Clock.Set(t0.Add(time.Hour))
	c := e.create(t, "three days", pat.CreateInput{ExpiresInDays: ptr(3)})
	if tok, _ := e.token(t, c.Token.ID); tok.DueAt == nil || tok.DueAt.Before(e.Clock.Now()) {
		t.Fatalf("a past-due step is scheduled at %v, before it was written (%v)", tok.DueAt, e.Clock.Now())
	}
	expires := date(t0.Add(3*day + time.Hour))
	e.run(t, j, t0.Add(2*time.Hour))
	if mails := e.inbox(t); len(mails) != 1 || !strings.Contains(mails[0].Subject, `"three days" expires on `+expires) {
		t.Fatalf("first run after creation: %s", subjects(mails))
	}
	e.run(t, j, t0.Add(2*day+2*time.Hour))
	if mails := e.inbox(t); len(mails) != 2 {
		t.Fatalf("one day before expiry: %s", subjects(mails))
	}
	e.run(t, j, t0.Add(3*day+2*time.Hour))
	if tok, _ := e.token(t, c.Token.ID); tok.Status != pat.StatusExpired {
		t.Fatalf("after expiry: status %s", tok.Status)
	}
	trail := e.audit(t, c.Token.ID)
	if last := trail[len(trail)-1]; last["action"] != pat.ActionExpired {
		t.Fatalf("audit trail ends with %v", last)
	}
}

// Two tokens of one owner due in one run share one mail.
func TestRemindersGroupedPerOwner(t *testing.T) {
	e := newEnv(t)
	j := e.job(t, e.Mail, nil)
	a := e.create(t, "first", pat.CreateInput{ExpiresInDays: ptr(365)})
	b := e.create(t, "second", pat.CreateInput{ExpiresInDays: ptr(365)})
	e.run(t, j, t0.Add(167*day))
	mails := e.inbox(t)
	if len(mails) != 1 || mails[0].Subject != "2 of your personal access tokens need attention" ||
		!strings.Contains(mails[0].Body.Text, a.Token.ID) || !strings.Contains(mails[0].Body.Text, b.Token.ID) {
		t.Fatalf("grouped reminder: %s", subjects(mails))
	}
}

// claimHook pauses a run after its first successful reminder claim.
type claimHook struct {
	lifecycle.Store
	once      sync.Once
	afterOnce func()
}

func (s *claimHook) ClaimReminder(ctx context.Context, t pat.Token, key string, skipped []string, claim, stale string) (bool, error) {
	ok, err := s.Store.ClaimReminder(ctx, t, key, skipped, claim, stale)
	if ok {
		s.once.Do(s.afterOnce)
	}
	return ok, err
}

// Two runs at once (a retried schedule, a manual run) still send one
// owner one mail: the second run finds the first one's run lock and leaves
// everything to it.
func TestConcurrentRunsDoNotSplitAnOwnersMail(t *testing.T) {
	e := newEnv(t)
	e.create(t, "first", pat.CreateInput{ExpiresInDays: ptr(365)})
	e.create(t, "second", pat.CreateInput{ExpiresInDays: ptr(365)})
	at := t0.Add(167 * day)
	paused, resume := make(chan struct{}), make(chan struct{})
	first := e.job(t, e.Mail, func(s lifecycle.Store) lifecycle.Store {
		return &claimHook{Store: s, afterOnce: func() { close(paused); <-resume }}
	})
	done := make(chan lifecycle.Report)
	go func() {
		rep, err := first.Run(context.Background(), lifecycle.Options{Now: at})
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	<-paused // the first run holds one of the two reminders
	second, err := e.job(t, e.Mail, nil).Run(context.Background(), lifecycle.Options{Now: at.Add(time.Second)})
	close(resume)
	if err != nil {
		t.Fatal(err)
	}
	rep := <-done
	if mails := e.inbox(t); len(mails) != 1 || mails[0].Subject != "2 of your personal access tokens need attention" {
		t.Fatalf("concurrent runs sent %s (first %+v, second %+v)", subjects(mails), rep, second)
	}
	if second.Stopped == "" || second.ItemsRead != 0 {
		t.Fatalf("the second run did not stand back: %+v", second)
	}
}

// The one-click link: GET changes nothing, POST keeps its token once, and
// a link is good for nothing else.
func TestKeepLink(t *testing.T) {
	e := newEnv(t)
	j := e.job(t, e.Mail, nil)
	c := e.create(t, "keeper", pat.CreateInput{ExpiresInDays: ptr(365)})
	other := e.create(t, "other", pat.CreateInput{ExpiresInDays: ptr(365)})
	e.use(t, other.Token.ID, t0.Add(100*day))
	e.run(t, j, t0.Add(166*day+time.Hour))
	code := keepCode(t, e.inbox(t)[0])
	before := localstack.Dump(t, e.DB, e.Tables.Tokens)

	get := func(code string) events.APIGatewayV2HTTPResponse {
		t.Helper()
		ev := localstack.Event[events.APIGatewayV2HTTPRequest](t, "keep-token-get")
		ev.QueryStringParameters = map[string]string{"code": code}
		resp, err := localgw.Invoke[events.APIGatewayV2HTTPResponse](context.Background(), e.api.KeepToken, ev)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	post := func(code string) events.APIGatewayV2HTTPResponse {
		t.Helper()
		ev := localstack.Event[events.APIGatewayV2HTTPRequest](t, "keep-token-post")
		ev.Body = "code=" + url.QueryEscape(code)
		resp, err := localgw.Invoke[events.APIGatewayV2HTTPResponse](context.Background(), e.api.KeepToken, ev)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	e.Clock.Set(t0.Add(170 * day))
	for range 3 { // mail scanners open links, perhaps several times
		if r := get(code); r.StatusCode != 200 || !strings.Contains(r.Body, "Keep this token") || !strings.Contains(r.Body, "keeper") ||
			r.Headers["Referrer-Policy"] != "no-referrer" {
			t.Fatalf("GET: %d %s", r.StatusCode, r.Body)
		}
	}
	if after := localstack.Dump(t, e.DB, e.Tables.Tokens); !reflect.DeepEqual(before, after) {
		t.Fatal("opening the link changed the table")
	}
	wrong := code[:len(code)-1] + "x"
	if strings.HasSuffix(code, "x") {
		wrong = code[:len(code)-1] + "y"
	}
	if r := post(wrong); r.StatusCode != 404 {
		t.Fatalf("a wrong code: %d", r.StatusCode)
	}
	if r := post(code); r.StatusCode != 200 || !strings.Contains(r.Body, "Kept") {
		t.Fatalf("POST: %d %s", r.StatusCode, r.Body)
	}
	kept, _ := e.token(t, c.Token.ID)
	if kept.ExtendedAt == nil || !kept.ExtendedAt.Equal(e.Clock.Now()) || !kept.DueAt.Equal(e.Clock.Now().Add(166*day)) {
		t.Fatalf("kept token: extended %v, due %v", kept.ExtendedAt, kept.DueAt)
	}
	if o, _ := e.token(t, other.Token.ID); o.ExtendedAt != nil {
		t.Fatal("the link kept another token")
	}
	if r := post(code); r.StatusCode != 404 {
		t.Fatalf("second POST: %d", r.StatusCode)
	}
	if r := get(code); r.StatusCode != 404 {
		t.Fatalf("GET after use: %d", r.StatusCode)
	}
	trail := e.audit(t, c.Token.ID)
	if last := trail[len(trail)-1]; last["action"] != pat.ActionExtended || last["actorId"] != e.user.UserID {
		t.Fatalf("audit trail ends with %v", last)
	}
	// Kept: no deletion at day 180.
	if rep := e.run(t, j, t0.Add(181*day)); len(rep.Actions) != 0 {
		t.Fatalf("a kept token was acted on: %+v", rep)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	e := newEnv(t)
	j := e.job(t, e.Mail, nil)
	e.create(t, "a", pat.CreateInput{ExpiresInDays: ptr(365)})
	e.create(t, "b", pat.CreateInput{ExpiresInDays: ptr(20)})
	before, beforeAudit := localstack.Dump(t, e.DB, e.Tables.Tokens), localstack.Dump(t, e.DB, e.Tables.Audit)
	rep, err := j.Run(context.Background(), lifecycle.Options{Now: t0.Add(181 * day), DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[pat.StepKind]int{}
	for _, a := range rep.Actions {
		kinds[a.Kind]++
	}
	if !rep.DryRun || kinds[pat.StepIdleReminder] != 1 || kinds[pat.StepExpire] != 1 {
		t.Fatalf("dry run reports %+v", rep)
	}
	if !reflect.DeepEqual(before, localstack.Dump(t, e.DB, e.Tables.Tokens)) || !reflect.DeepEqual(beforeAudit, localstack.Dump(t, e.DB, e.Tables.Audit)) {
		t.Fatal("a dry run changed a table")
	}
	if len(e.inbox(t)) != 0 {
		t.Fatal("a dry run sent mail")
	}
}

func ptr[T any](v T) *T { return &v }

// A keep link cannot extend a token an administrator locked, as the owner's
// own extend cannot: the page says so, and nothing changes.
func TestKeepLinkOfALockedToken(t *testing.T) {
	e := newEnv(t)
	c := e.create(t, "locked later", pat.CreateInput{ExpiresInDays: ptr(365)})
	e.run(t, e.job(t, e.Mail, nil), t0.Add(166*day+time.Hour))
	code := keepCode(t, e.inbox(t)[0])
	admin := pat.Identity{UserID: "admin-" + e.user.UserID, Email: "admin@example.com", Admin: true}
	if _, err := e.Service.AdminLockToken(context.Background(), admin, c.Token.ID, "leaked"); err != nil {
		t.Fatal(err)
	}
	before := localstack.Dump(t, e.DB, e.Tables.Tokens)
	ev := localstack.Event[events.APIGatewayV2HTTPRequest](t, "keep-token-post")
	ev.Body = "code=" + url.QueryEscape(code)
	resp, err := localgw.Invoke[events.APIGatewayV2HTTPResponse](context.Background(), e.api.KeepToken, ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 409 || !strings.Contains(resp.Body, "locked") {
		t.Fatalf("POST on a locked token: %d %s", resp.StatusCode, resp.Body)
	}
	if after := localstack.Dump(t, e.DB, e.Tables.Tokens); !reflect.DeepEqual(before, after) {
		t.Fatal("the link changed a locked token")
	}
}
