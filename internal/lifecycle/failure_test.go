package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/patservice/pat/internal/lifecycle"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/sesmail"
)

// crashingSES ends the invocation in the middle of its first send, as a
// Lambda timeout or crash would: the context is gone, so the job cannot
// even release its claim.
type crashingSES struct {
	sesmail.API
	cancel  context.CancelFunc
	crashed atomic.Bool
}

func (c *crashingSES) SendEmail(ctx context.Context, in *ses.SendEmailInput, o ...func(*ses.Options)) (*ses.SendEmailOutput, error) {
	if c.crashed.CompareAndSwap(false, true) {
		c.cancel()
		return nil, context.Canceled
	}
	return c.API.SendEmail(ctx, in, o...)
}

func TestCrashBetweenClaimAndSendLosesAndDuplicatesNothing(t *testing.T) {
	e := newEnv(t)
	e.create(t, "crashy", pat.CreateInput{ExpiresInDays: ptr(365)})
	ctx, cancel := context.WithCancel(context.Background())
	crashing := &crashingSES{API: e.Mail, cancel: cancel}
	at := t0.Add(166*day + time.Hour)
	if _, err := e.job(t, crashing, nil).Run(ctx, lifecycle.Options{Now: at}); err == nil {
		t.Fatal("the crashed run reported success")
	}
	j := e.job(t, e.Mail, nil)
	if rep := e.run(t, j, at.Add(5*time.Minute)); rep.Left != 1 || len(e.inbox(t)) != 0 {
		t.Fatalf("within the lease the claim holds: %+v", rep)
	}
	e.run(t, j, at.Add(20*time.Minute))
	e.run(t, j, at.Add(40*time.Minute))
	if mails := e.inbox(t); len(mails) != 1 {
		t.Fatalf("after the lease: %d mails, want exactly 1", len(mails))
	}
}

// brokenLinks fails after the claim, before anything is sent.
type brokenLinks struct {
	lifecycle.Domain
	n atomic.Int32
}

func (b *brokenLinks) IssueKeepLink(context.Context, pat.Token, string, time.Time) (string, error) {
	b.n.Add(1)
	return "", errors.New("link store down")
}

func TestErrorBetweenClaimAndSendReleasesTheClaim(t *testing.T) {
	e := newEnv(t)
	e.create(t, "flaky", pat.CreateInput{ExpiresInDays: ptr(365)})
	at := t0.Add(166*day + time.Hour)
	broken := lifecycle.New(storeOf(e), sesmail.New(e.Mail, e.cfg.MailFrom, ""), &brokenLinks{Domain: e.Service.Service}, e.Service.Format().NewID, jobConfig(e), e.Log)
	if _, err := broken.Run(context.Background(), lifecycle.Options{Now: at}); err == nil {
		t.Fatal("the failed run reported success")
	}
	e.run(t, e.job(t, e.Mail, nil), at.Add(time.Minute)) // no need to wait for the lease
	e.run(t, e.job(t, e.Mail, nil), at.Add(2*time.Minute))
	if mails := e.inbox(t); len(mails) != 1 {
		t.Fatalf("%d mails, want exactly 1", len(mails))
	}
}

// SES throttling stops the run with everything released; the next run sends
// each reminder once.
func TestThrottlingLosesAndDuplicatesNothing(t *testing.T) {
	e := newEnv(t)
	owners := []string{"-a", "-b", "-c"}
	base := e.user
	for _, suffix := range owners {
		e.user = pat.Identity{UserID: base.UserID + suffix, Email: base.Email, Permissions: base.Permissions}
		e.create(t, "t"+suffix, pat.CreateInput{ExpiresInDays: ptr(365)})
	}
	e.user = base
	ses := localstack.NewSESProxy(t)
	// The SDK tries a throttled send 3 times: the first run's first send
	// fails for good, the second run's succeeds on its second try.
	ses.Refuse(localstack.SESRefusal{Code: "Throttling", Message: "Maximum sending rate exceeded."}, 4)
	throttled := e.job(t, ses.Client(t), nil)
	at := t0.Add(166*day + time.Hour)
	rep := e.run(t, throttled, at)
	if rep.Stopped != "mail throttled" || rep.Mails != 0 || ses.Requests.Load() != 3 {
		t.Fatalf("throttled run (%d requests): %+v", ses.Requests.Load(), rep)
	}
	rep = e.run(t, throttled, at.Add(time.Minute)) // throttled once more, then sent
	rep = e.run(t, throttled, at.Add(2*time.Minute))
	e.run(t, e.job(t, e.Mail, nil), at.Add(3*time.Minute))
	if mails := e.inbox(t); len(mails) != len(owners) {
		t.Fatalf("%d mails for %d owners (last report %+v)", len(mails), len(owners), rep)
	}
}

// A refusal of the recipient is logged and not retried by later runs.
func TestRejectedMailIsNotRetried(t *testing.T) {
	e := newEnv(t)
	e.create(t, "bounced", pat.CreateInput{ExpiresInDays: ptr(365)})
	ses := localstack.NewSESProxy(t)
	ses.RefuseRecipient(e.user.Email, addressBlocked)
	rejecting := e.job(t, ses.Client(t), nil)
	at := t0.Add(166*day + time.Hour)
	if rep := e.run(t, rejecting, at); rep.Rejected != 1 {
		t.Fatalf("rejected run: %+v", rep)
	}
	before := ses.Requests.Load()
	e.run(t, rejecting, at.Add(time.Hour))
	e.run(t, rejecting, at.Add(2*time.Hour))
	if ses.Requests.Load() != before {
		t.Fatal("a rejected reminder was tried again")
	}
}

// A send that timed out may have been delivered: it is not retried at once
// (neither by the SDK nor by the job), its claim is held until the lease
// lapses, and only then is it sent again. A stall yields at most one
// duplicate.
func TestStalledMailServiceDuplicatesAtMostOnce(t *testing.T) {
	e := newEnv(t)
	e.create(t, "stalled", pat.CreateInput{ExpiresInDays: ptr(365)})
	ses := localstack.NewSESProxy(t)
	ses.Stall(1500 * time.Millisecond)
	requests := &ses.Requests
	mailer := sesmail.New(ses.Client(t), e.cfg.MailFrom, "")
	mailer.Timeout = 300 * time.Millisecond
	job := lifecycle.New(storeOf(e), mailer, e.Service.Service, e.Service.Format().NewID, jobConfig(e), e.Log)

	at := t0.Add(166*day + time.Hour)
	if rep, _ := job.Run(context.Background(), lifecycle.Options{Now: at}); rep.Mails != 0 || rep.Left != 1 {
		t.Fatalf("stalled run: %+v", rep)
	}
	if n := requests.Load(); n != 1 {
		t.Fatalf("the stalled send was tried %d times, want 1", n)
	}
	time.Sleep(2 * time.Second) // the stalled service resumes and delivers
	e.run(t, e.job(t, e.Mail, nil), at.Add(time.Minute))
	if mails := e.inbox(t); len(mails) != 1 {
		t.Fatalf("within the lease: %d mails, want the 1 the stalled service delivered", len(mails))
	}
	e.run(t, e.job(t, e.Mail, nil), at.Add(20*time.Minute))
	e.run(t, e.job(t, e.Mail, nil), at.Add(40*time.Minute))
	if mails := e.inbox(t); len(mails) != 2 {
		t.Fatalf("after the lease: %d mails, want 2 (one duplicate at most)", len(mails))
	}
}

// More mail than one run may send at the mail rate before its deadline:
// the run stops in time, and the next one sends the rest, each reminder
// exactly once.
func TestMailRateSpreadsADayOverRuns(t *testing.T) {
	e := newEnv(t)
	const owners = 12
	for i := range owners {
		id := pat.Identity{UserID: fmt.Sprintf("%s-%d", e.user.UserID, i), Email: fmt.Sprintf("%d-%s", i, e.user.Email), Permissions: e.user.Permissions}
		c, err := e.Service.CreateToken(context.Background(), id, pat.CreateInput{Name: "paced", Scopes: []string{"crm:read"}, ExpiresInDays: ptr(365)})
		if err != nil {
			t.Fatal(err)
		}
		ledger.AddToken(c.Secret)
	}
	cfg := jobConfig(e)
	// StopBefore leaves a write under load time to finish before the
	// deadline (a loaded machine's DynamoDB Local can take hundreds of ms).
	cfg.MailRate, cfg.StopBefore = 10, 600*time.Millisecond
	paced := lifecycle.New(storeOf(e), sesmail.New(e.Mail, e.cfg.MailFrom, ""), e.Service.Service, e.Service.Format().NewID, cfg, e.Log)
	at := t0.Add(166*day + time.Hour)
	e.run(t, e.job(t, e.Mail, nil), at.Add(-day)) // the bookmark: the paced runs read two day buckets

	ctx, cancel := context.WithTimeout(context.Background(), 1400*time.Millisecond)
	start := time.Now()
	first, err := paced.Run(ctx, lifecycle.Options{Now: at})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if first.Stopped != "deadline" || first.Mails == 0 || first.Mails >= owners {
		t.Fatalf("first run: %+v", first)
	}
	if rate := float64(first.Mails-1) / time.Since(start).Seconds(); rate > 10.5 {
		t.Fatalf("sent %.1f mails/s, above the rate of 10", rate)
	}
	second, err := paced.Run(context.Background(), lifecycle.Options{Now: at.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if first.Mails+second.Mails != owners || second.Stopped != "" {
		t.Fatalf("runs sent %d + %d mails for %d owners (second %+v)", first.Mails, second.Mails, owners, second)
	}
}
