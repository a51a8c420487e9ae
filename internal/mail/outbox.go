package mail

import (
	"context"
	"log/slog"
	"time"

	"github.com/patservice/pat/internal/pat"
)

// Outbox is the store of notices: each is claimed before it is sent, then
// deleted, or released when sending failed.
type Outbox interface {
	ClaimNotice(ctx context.Context, n pat.Notice, claim, stale string) (bool, error)
	DeleteNotice(ctx context.Context, n pat.Notice, claim string) error
	ReleaseNotice(ctx context.Context, n pat.Notice, claim string) error
}

// DeliverNotice sends one outbox notice, claimed as of at, through the
// delivery routine: sent, or refused for its recipient (logged with the
// MailRejected metric), it leaves the outbox; otherwise it stays there
// for a later try (released at once, or, if it may have been sent, when
// the lease lapses). A notice stored as data is composed by d.Composer.
func (d *Delivery) DeliverNotice(ctx context.Context, outbox Outbox, n pat.Notice, at time.Time) (Result, error) {
	return d.Deliver(ctx, &notice{outbox: outbox, n: n, composer: d.Composer}, at)
}

// notice is an outbox notice as the delivery routine sends it.
type notice struct {
	outbox   Outbox
	n        pat.Notice
	composer *Composer // of notices stored as data
	claim    string
}

var _ Item = (*notice)(nil)

func (m *notice) Describe() (string, []slog.Attr) {
	return "notice", []slog.Attr{slog.String("userId", m.n.UserID)}
}

func (m *notice) Claim(ctx context.Context, claim, stale string) (bool, error) {
	m.claim = claim
	return m.outbox.ClaimNotice(ctx, m.n, claim, stale)
}

func (m *notice) Message(ctx context.Context) (pat.Message, error) {
	return m.composer.Compose(ctx, m.n)
}

func (m *notice) Settle(ctx context.Context, _ Outcome) error {
	return m.outbox.DeleteNotice(ctx, m.n, m.claim)
}

func (m *notice) Release(ctx context.Context) error {
	return m.outbox.ReleaseNotice(ctx, m.n, m.claim)
}
