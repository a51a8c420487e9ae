package mail_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/mail"
	"github.com/patservice/pat/internal/pat"
)

// item records what the delivery routine does with one piece of mail.
type item struct {
	busy             bool  // Claim answers false
	composeErr       error // Message fails
	claim, stale     string
	sent             bool // Message was asked for: the send follows
	settled          *mail.Outcome
	released, settle int
}

var _ mail.Item = (*item)(nil)

func (i *item) Describe() (string, []slog.Attr) {
	return "reminder", []slog.Attr{slog.String("userId", "owner-1")}
}

func (i *item) Claim(_ context.Context, claim, stale string) (bool, error) {
	i.claim, i.stale = claim, stale
	return !i.busy, nil
}

func (i *item) Message(context.Context) (pat.Message, error) {
	i.sent = i.composeErr == nil
	return pat.Message{UserID: "owner-1", To: "owner@example.com", Subject: "s"}, i.composeErr
}

func (i *item) Settle(_ context.Context, o mail.Outcome) error {
	i.settle++
	i.settled = &o
	return nil
}

func (i *item) Release(context.Context) error {
	i.released++
	return nil
}

// answer is a Sender that gives one answer.
type answer struct {
	err   error
	sends int
}

func (a *answer) Send(context.Context, pat.Message) error {
	a.sends++
	return a.err
}

// The one delivery routine's table: each answer of the mail service, what
// it is classified as, what becomes of the claim, whether mailing stops,
// what the report says, and the metric an alarm counts.
func TestDeliveryClassifiesEachAnswer(t *testing.T) {
	blocked := &mail.Blocked{Cause: mail.CauseSandbox, Action: "request production access", Detail: "SES MessageRejected: not verified"}
	for _, c := range []struct {
		name    string
		answer  error
		outcome mail.Outcome
		claim   mail.Claim
		stops   bool
		reason  string
		metric  string
		dims    map[string]string
	}{
		{"sent", nil, mail.Sent, mail.ClaimSettled, false, "", "", nil},
		{"recipient refused", fmt.Errorf("%w: SES MessageRejected: Address blacklisted.", mail.ErrRejected),
			mail.Refused, mail.ClaimSettled, false, "", "MailRejected", nil},
		{"sender blocked", fmt.Errorf("send: %w", blocked),
			mail.SenderBlocked, mail.ClaimReleased, true, "mail sending blocked: sandbox", "MailSendingBlocked", map[string]string{"Cause": "sandbox"}},
		{"throttled", fmt.Errorf("%w: SES Throttling", mail.ErrThrottled),
			mail.Throttled, mail.ClaimReleased, true, "mail throttled", "", nil},
		{"maybe sent", fmt.Errorf("%w: i/o timeout", mail.ErrMaybeSent),
			mail.MaybeSent, mail.ClaimKept, true, "mail service not answering", "", nil},
		{"another refusal", errors.New("send mail: SES InternalFailure"),
			mail.Failed, mail.ClaimReleased, true, "mail error", "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := mail.Classify(c.answer); got != c.outcome {
				t.Fatalf("Classify = %v, want %v", got, c.outcome)
			}
			if got := c.outcome.Claim(); got != c.claim {
				t.Fatalf("%v: claim %v, want %v", c.outcome, got, c.claim)
			}
			if got := c.outcome.Stops(); got != c.stops {
				t.Fatalf("%v: stops %v, want %v", c.outcome, got, c.stops)
			}

			var logs strings.Builder
			clock := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
			d := mail.NewDelivery(&answer{err: c.answer}, localstack.LambdaLogger(&logs))
			d.Now = func() time.Time { return clock }
			at := clock.Add(-time.Hour) // a run's start: claims are stamped with it
			it := &item{}
			res, err := d.Deliver(context.Background(), it, at)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != c.outcome || !errors.Is(res.Answer, c.answer) && c.answer != nil {
				t.Fatalf("Deliver = %+v, want %v with the answer", res, c.outcome)
			}
			if c.stops && res.Reason() != c.reason {
				t.Errorf("reason %q, want %q", res.Reason(), c.reason)
			}
			if it.claim != "sending:2030-05-06T06:08:09Z" || it.stale != "sending:2030-05-06T05:53:09Z" {
				t.Errorf("claimed as %q unless newer than %q", it.claim, it.stale)
			}
			switch c.claim {
			case mail.ClaimSettled:
				if it.settle != 1 || *it.settled != c.outcome || it.released != 0 {
					t.Errorf("settled %d times (%v), released %d: want settled once as %v", it.settle, it.settled, it.released, c.outcome)
				}
			case mail.ClaimReleased:
				if it.released != 1 || it.settle != 0 {
					t.Errorf("released %d times, settled %d: want released once", it.released, it.settle)
				}
			case mail.ClaimKept:
				if it.released != 0 || it.settle != 0 {
					t.Errorf("released %d times, settled %d: want the claim kept", it.released, it.settle)
				}
			}

			lines := localstack.LogLines(t, logs.String())
			published := localstack.PublishedMetrics(t, lines)
			for _, m := range []string{"MailRejected", "MailSendingBlocked"} {
				want, dims := 0.0, map[string]string(nil)
				if m == c.metric {
					want, dims = 1, c.dims
				}
				if got := localstack.Sum(published, "PAT/Mail", m, dims); got != want {
					t.Errorf("PAT/Mail %s %v = %v, want %v; lines:\n%s", m, dims, got, want, logs.String())
				}
			}
			for _, p := range published {
				if ts := p.Line["_aws"].(map[string]any)["Timestamp"]; ts != float64(clock.UnixMilli()) {
					t.Errorf("metric timestamp %v, want the injected clock's %d", ts, clock.UnixMilli())
				}
			}
			if c.outcome != mail.Sent && len(lines) == 0 {
				t.Errorf("%v was not logged", c.outcome)
			}
			if strings.Contains(logs.String(), "owner@example.com") {
				t.Errorf("a line names the recipient:\n%s", logs.String())
			}
		})
	}
}

// What is not claimed is not sent; what cannot be composed is not sent
// and its claim is given back; what goes to an unreachable owner is
// settled unsent, with the MailRejected metric.
func TestDeliveryBeforeTheSend(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)

	t.Run("busy", func(t *testing.T) {
		sender := &answer{}
		it := &item{busy: true}
		res, err := mail.NewDelivery(sender, slog.New(slog.DiscardHandler)).Deliver(ctx, it, at)
		if err != nil || res.Outcome != mail.Busy || res.Outcome.Stops() || sender.sends != 0 || it.released+it.settle != 0 {
			t.Fatalf("Deliver = %+v, %v; %d sends, item %+v", res, err, sender.sends, it)
		}
	})
	t.Run("not composed", func(t *testing.T) {
		sender := &answer{}
		broken := errors.New("link store down")
		it := &item{composeErr: broken}
		_, err := mail.NewDelivery(sender, slog.New(slog.DiscardHandler)).Deliver(ctx, it, at)
		if !errors.Is(err, broken) || sender.sends != 0 || it.released != 1 || it.settle != 0 {
			t.Fatalf("Deliver: %v; %d sends, item %+v", err, sender.sends, it)
		}
	})
	t.Run("suppressed", func(t *testing.T) {
		var logs strings.Builder
		sender := &answer{}
		it := &item{}
		d := mail.NewDelivery(sender, localstack.LambdaLogger(&logs))
		res, err := d.Suppress(ctx, it, at)
		if err != nil || res.Outcome != mail.Suppressed || res.Outcome.Stops() || sender.sends != 0 || it.sent {
			t.Fatalf("Suppress = %+v, %v; %d sends", res, err, sender.sends)
		}
		if it.settle != 1 || *it.settled != mail.Suppressed || it.released != 0 {
			t.Fatalf("item %+v: want settled once as suppressed", it)
		}
		published := localstack.PublishedMetrics(t, localstack.LogLines(t, logs.String()))
		if got := localstack.Sum(published, "PAT/Mail", "MailRejected", nil); got != 1 {
			t.Fatalf("MailRejected = %v, want 1; lines:\n%s", got, logs.String())
		}
	})
}
