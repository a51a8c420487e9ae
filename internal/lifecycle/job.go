package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"golang.org/x/time/rate"

	"github.com/patservice/pat/internal/i18n"
	"github.com/patservice/pat/internal/mail"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/token"
)

// Config tunes the job.
type Config struct {
	Policy     pat.Lifecycle
	ConsoleURL string        // where owners manage their tokens
	AdminEmail string        // administrators told of deletions held for unreachable owners ("": logs and metrics only)
	KeepURL    string        // page of the one-click links; the code is added as ?code=
	Lease      time.Duration // a claim older than this was left by a crashed run (mail.DefaultLease)
	PageSize   int           // items per query: the job's memory bound
	Lookback   int           // days the first run looks back
	StopBefore time.Duration // stop when the invocation's deadline is this near
	MailRate   float64       // mails per second at most (the SES account's sending rate); 0: no limit
	Language   i18n.Lang     // of mail to the administrators, and to owners who chose none and have no locale
}

// Job is the scheduled lifecycle job.
type Job struct {
	store    Store
	delivery *mail.Delivery
	domain   Domain
	newID    func() (string, error)
	pace     *rate.Limiter // nil: no limit
	cfg      Config
	log      *slog.Logger
	// Now is the clock: a trigger's time when it names none, the start of
	// a run (its lock and claims), and the time of the lines' metrics. A
	// run's own time, what is due and recorded, is its trigger's.
	Now func() time.Time
}

// New returns a Job on the real clock.
func New(store Store, sender mail.Sender, domain Domain, newID func() (string, error), cfg Config, log *slog.Logger) *Job {
	j := &Job{store: store, domain: domain, newID: newID, cfg: cfg, log: log, Now: time.Now}
	j.delivery = &mail.Delivery{Sender: sender, Lease: cfg.Lease, Log: log, Now: func() time.Time { return j.Now() },
		Composer: &mail.Composer{Users: store, Lang: cfg.Language, ConsoleURL: cfg.ConsoleURL}}
	if cfg.MailRate > 0 {
		j.pace = rate.NewLimiter(rate.Limit(cfg.MailRate), 1)
	}
	return j
}

// Options of one run.
type Options struct {
	Now    time.Time // the run's time: what is due, and what is recorded
	DryRun bool      // report what would happen; change and send nothing
	// Started is the wall clock at the start (zero: Now). The run lock and
	// the claims are stamped with it, so that they lapse in real time even
	// when Now is a retried trigger's (hours old) or a chosen one.
	Started time.Time
}

func (o Options) started() time.Time {
	if o.Started.IsZero() {
		return o.Now
	}
	return o.Started
}

// Action is one thing a run did (or, dry, would do).
type Action struct {
	Kind    pat.StepKind `json:"kind"`
	TokenID string       `json:"tokenId"`
	UserID  string       `json:"userId"`
	Days    int          `json:"days,omitempty"`
	To      string       `json:"to,omitempty"`
}

// Report says what a run did.
type Report struct {
	DryRun      bool     `json:"dryRun"`
	FirstDay    string   `json:"firstDay"`  // the first day bucket read
	DaysRead    int      `json:"daysRead"`  // day buckets read, from FirstDay on
	ItemsRead   int      `json:"itemsRead"` // items the due index returned
	Actions     []Action `json:"actions"`
	Mails       int      `json:"mails"`       // mails sent (reminders, grouped per owner, and notices)
	Rescheduled int      `json:"rescheduled"` // items not due after all (used or extended since), moved to their next due time
	Left        int      `json:"left"`        // items left due for a later run: claimed by another run, changed meanwhile, or failed
	Rejected    int      `json:"rejected"`    // mails whose recipient the mail service refused for good
	Suppressed  int      `json:"suppressed"`  // reminders not sent: their owner's address is unreachable
	Held        int      `json:"held"`        // deletions held because the owner could not be reminded
	Stopped     string   `json:"stopped,omitempty"`
	// Backfill is what the owner-state backfill did after the run's work
	// (absent on a dry run, or a run stopped early).
	Backfill *pat.Backfill `json:"backfill,omitempty"`
	// ListBackfill is what the list backfill did after it (absent when the
	// owner-state backfill failed, too).
	ListBackfill *pat.ListBackfill `json:"listBackfill,omitempty"`
}

// errStop ends a run early, leaving the rest for the next run.
type errStop struct{ reason string }

func (e errStop) Error() string { return "stopped: " + e.reason }

// Run does everything due at opt.Now, day bucket by day bucket from the
// first one with unfinished work, and saves where to start next time.
func (j *Job) Run(ctx context.Context, opt Options) (Report, error) {
	now := opt.Now.UTC().Truncate(time.Second)
	rep := Report{DryRun: opt.DryRun}
	if !opt.DryRun {
		unlock, ok, err := j.lockRun(ctx, opt.started())
		if err != nil {
			return rep, err
		}
		if !ok {
			rep.Stopped = "another run is in progress"
			j.log.WarnContext(ctx, "lifecycle run skipped: another run holds the lock", "now", now)
			return rep, nil
		}
		defer unlock()
	}
	today := now.Format(time.DateOnly)
	days, err := j.days(ctx, now)
	if err != nil {
		return rep, err
	}
	bookmark := ""
	for i, day := range days {
		if i == MaxDaysPerRun {
			// The rest is for the next run, which starts here.
			rep.Stopped = fmt.Sprintf("read %d day buckets, the most one run reads", MaxDaysPerRun)
			if bookmark == "" {
				bookmark = day
			}
			break
		}
		if rep.DaysRead++; rep.FirstDay == "" {
			rep.FirstDay = day
		}
		done, err := j.runDay(ctx, day, now, opt, &rep)
		if !done && bookmark == "" {
			bookmark = day
		}
		if stop, ok := errors.AsType[errStop](err); ok {
			rep.Stopped = stop.reason
			break
		}
		if err != nil {
			j.save(ctx, opt, bookmark, today)
			return rep, err
		}
	}
	if err := j.save(ctx, opt, bookmark, today); err != nil {
		return rep, err
	}
	if opt.DryRun {
		return rep, nil
	}
	if rep.Stopped == "" { // a run stopped early leaves its time to the next
		err = j.backfill(ctx, now, &rep)
	}
	j.logRun(ctx, rep, j.Now())
	return rep, err
}

// lockRun takes the run lock; a lock left by a crashed run lapses after
// the lease. unlock gives it back, even when ctx is done.
func (j *Job) lockRun(ctx context.Context, now time.Time) (unlock func(), ok bool, err error) {
	id, err := j.newID()
	if err != nil {
		return nil, false, err
	}
	claim := runLockPrefix + now.Format(time.RFC3339) + "#" + id
	ok, err = j.store.LockRun(ctx, claim, runLockPrefix+now.Add(-j.cfg.Lease).Format(time.RFC3339))
	if err != nil || !ok {
		return nil, false, err
	}
	return func() {
		if err := j.store.UnlockRun(context.WithoutCancel(ctx), claim); err != nil {
			j.log.WarnContext(ctx, "run lock not released; it lapses after the lease", "error", err)
		}
	}, true, nil
}

const runLockPrefix = "running:"

// save records the first day with unfinished work (today when all is done:
// today's bucket still fills during the day).
func (j *Job) save(ctx context.Context, opt Options, bookmark, today string) error {
	if opt.DryRun {
		return nil
	}
	if bookmark == "" {
		bookmark = today
	}
	return j.store.SaveNextDay(ctx, bookmark)
}

// MaxDaysPerRun bounds the day buckets one run reads, whatever its now or
// the bookmark say (the first run looks back Lookback days, 400 as
// deployed): a run that reaches it saves where it stopped, and the next run
// goes on from there.
const MaxDaysPerRun = 1000

// days lists the day buckets a run at now reads, oldest first: from the
// bookmark (or, on a first run, Lookback days back) to now's day, at most
// one more than MaxDaysPerRun (the day the next run starts from). Days
// are counted as dates, never compared as text: a run at 9999-12-31 ends
// there rather than going on into year 10000, which sorts as text before it.
func (j *Job) days(ctx context.Context, now time.Time) ([]string, error) {
	last := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	first := last.AddDate(0, 0, -j.cfg.Lookback)
	saved, err := j.store.NextDay(ctx)
	if err != nil {
		return nil, err
	}
	if saved != "" {
		if first, err = time.Parse(time.DateOnly, saved); err != nil {
			return nil, fmt.Errorf("the saved first day %q: %w", saved, err)
		}
	}
	var out []string
	for d := first; !d.After(last) && len(out) <= MaxDaysPerRun; d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out, nil
}

// runDay works through one day bucket, a page at a time; done is false if
// anything in it was left due.
func (j *Job) runDay(ctx context.Context, day string, now time.Time, opt Options, rep *Report) (done bool, err error) {
	left := rep.Left
	cursor := ""
	for {
		if j.nearDeadline(ctx) {
			return false, errStop{"deadline"}
		}
		items, next, err := j.store.DuePage(ctx, day, now, cursor, j.cfg.PageSize)
		if err != nil {
			return false, err
		}
		rep.ItemsRead += len(items)
		groups := map[string][]pending{}
		var order []string
		for _, it := range items {
			switch {
			case it.Notice != nil:
				if err := j.sendNotice(ctx, *it.Notice, now, opt, rep); err != nil {
					return false, err
				}
			case it.Token != nil:
				p, err := j.visit(ctx, *it.Token, now, opt, rep)
				if err != nil {
					return false, err
				}
				if p != nil {
					owner := p.token.UserID
					if _, seen := groups[owner]; !seen {
						order = append(order, owner)
					}
					groups[owner] = append(groups[owner], *p)
				}
			}
		}
		for _, owner := range order {
			if err := j.remind(ctx, groups[owner], now, opt, rep); err != nil {
				return false, err
			}
		}
		if next == "" {
			return rep.Left == left, nil
		}
		cursor = next
	}
}

// pending is a due reminder before it is claimed.
type pending struct {
	token   pat.Token
	step    pat.Step
	skipped []string
}

// visit acts on one due token, or returns its reminder for the owner's mail.
func (j *Job) visit(ctx context.Context, t pat.Token, now time.Time, opt Options, rep *Report) (*pending, error) {
	step, skipped, due := j.cfg.Policy.Due(t, now)
	if !due {
		// Used or extended since it was scheduled: move it to its next step.
		rep.Rescheduled++
		if opt.DryRun {
			return nil, nil
		}
		j.cfg.Policy.Schedule(&t, now)
		return nil, j.store.Reschedule(ctx, t)
	}
	switch step.Kind {
	case pat.StepIdleReminder, pat.StepExpiryReminder:
		return &pending{token: t, step: step, skipped: skipped}, nil
	case pat.StepIdleDelete:
		return nil, j.deleteIdle(ctx, t, now, opt, rep)
	case pat.StepExpire:
		return nil, j.expire(ctx, t, now, opt, rep)
	}
	return nil, fmt.Errorf("token %s: unknown step %q", t.ID, step.Kind)
}

// remind mails an owner's due reminders in one message, through the
// delivery routine, and records the outcome; a reminder to an owner who
// cannot be reached is recorded as failed unsent. A mail not sent stops
// the run: its reminders stay due for a later run.
func (j *Job) remind(ctx context.Context, due []pending, now time.Time, opt Options, rep *Report) error {
	if opt.DryRun {
		for _, p := range due {
			rep.Actions = append(rep.Actions, Action{Kind: p.step.Kind, TokenID: p.token.ID, UserID: p.token.UserID, Days: p.step.Days, To: p.token.OwnerEmail})
		}
		return nil
	}
	reachable, err := j.reachable(ctx, due[0].token)
	if err != nil {
		return err
	}
	m := &reminders{job: j, due: due, now: now}
	var res mail.Result
	if reachable {
		if err := j.wait(ctx); err != nil {
			rep.Left += len(due)
			return err
		}
		res, err = j.delivery.Deliver(ctx, m, opt.started())
	} else {
		res, err = j.delivery.Suppress(ctx, m, opt.started())
	}
	rep.Left += m.busy // another run has them, or their tokens changed: a later visit decides
	switch res.Outcome {
	case mail.Sent:
		rep.Mails++
		for _, r := range m.claimed {
			rep.Actions = append(rep.Actions, Action{Kind: r.step.Kind, TokenID: r.token.ID, UserID: r.token.UserID, Days: r.step.Days, To: r.token.OwnerEmail})
		}
	case mail.Refused:
		rep.Rejected++
		j.markUnreachable(ctx, m.claimed[0].token.UserID, m.claimed[0].token.OwnerEmail, now)
	case mail.Suppressed:
		rep.Suppressed += len(m.claimed)
	case mail.Busy:
	default:
		// Not sent: the reminders stay due (so their tokens' deletions
		// wait, pat.Lifecycle.Steps).
		rep.Left += len(m.claimed)
	}
	if err != nil {
		return err
	}
	if res.Outcome.Stops() {
		return errStop{res.Reason()}
	}
	return nil
}

// reminder is a claimed reminder.
type reminder struct {
	token pat.Token
	step  pat.Step
	claim string
}

// reminders is one owner's due reminders, mailed in one message: the
// delivery routine's item.
type reminders struct {
	job     *Job
	due     []pending
	now     time.Time
	claimed []reminder
	busy    int // not claimed
}

var _ mail.Item = (*reminders)(nil)

func (m *reminders) Describe() (string, []slog.Attr) {
	return "reminder", []slog.Attr{slog.String("userId", m.due[0].token.UserID)}
}

// Claim claims each due reminder (and marks the ones it supersedes); true
// if any was claimed. A store error releases what was claimed.
func (m *reminders) Claim(ctx context.Context, claim, stale string) (bool, error) {
	for _, p := range m.due {
		ok, err := m.job.store.ClaimReminder(ctx, p.token, p.step.Key, p.skipped, claim, stale)
		if err != nil {
			m.job.release(ctx, m.claimed)
			m.claimed = nil
			return false, err
		}
		if !ok {
			m.busy++
			continue
		}
		r := reminder{token: p.token, step: p.step, claim: claim}
		for _, k := range p.skipped {
			r.token.Notices = withNotice(r.token.Notices, k, pat.NoticeSkipped)
		}
		m.claimed = append(m.claimed, r)
	}
	return len(m.claimed) > 0, nil
}

// Message composes the mail, with a one-click keep link for each reminder
// (issued only for a mail that is sent).
func (m *reminders) Message(ctx context.Context) (pat.Message, error) {
	rs := make([]mail.Reminder, len(m.claimed))
	for i, r := range m.claimed {
		link, err := m.job.keepLink(ctx, r, m.now)
		if err != nil {
			return pat.Message{}, err
		}
		rs[i] = mail.Reminder{Token: r.token, Expiry: r.step.Kind == pat.StepExpiryReminder, When: r.step.Deadline(m.now), Link: link}
	}
	owner, err := m.job.owner(ctx, rs[0].Token)
	if err != nil {
		return pat.Message{}, err
	}
	return mail.ReminderMail(mail.Language(owner, m.job.cfg.Language), rs, m.job.cfg.ConsoleURL)
}

// Settle records each reminder's outcome, sent or failed (refused for
// good, or not sent to an unreachable owner), and the token's next due
// time.
func (m *reminders) Settle(ctx context.Context, o mail.Outcome) error {
	outcome := pat.NoticeFailed
	if o == mail.Sent {
		outcome = pat.NoticeSent
	}
	value := outcome + m.now.Format(time.RFC3339)
	for _, r := range m.claimed {
		t := r.token
		t.Notices = withNotice(t.Notices, r.step.Key, value)
		m.job.cfg.Policy.Schedule(&t, m.now)
		if err := m.job.store.FinishReminder(ctx, t, r.step.Key, r.claim, value); err != nil {
			return err
		}
	}
	return nil
}

func (m *reminders) Release(ctx context.Context) error {
	m.job.release(ctx, m.claimed)
	return nil
}

// release gives claims back; if that fails too, the lease lets a later run
// take them over.
func (j *Job) release(ctx context.Context, claimed []reminder) {
	for _, r := range claimed {
		if err := j.store.ReleaseReminder(ctx, r.token, r.step.Key, r.claim); err != nil {
			j.log.WarnContext(ctx, "claim not released; it lapses after the lease", "tokenId", r.token.ID, "error", err)
		}
	}
}

func (j *Job) keepLink(ctx context.Context, r reminder, now time.Time) (string, error) {
	purpose, until := pat.KeepActivity, r.step.Deadline(now)
	if r.step.Kind == pat.StepExpiryReminder {
		purpose, until = pat.KeepExpiry, *r.token.ExpiresAt
	}
	code, err := j.domain.IssueKeepLink(ctx, r.token, purpose, until)
	if err != nil {
		return "", err
	}
	return j.cfg.KeepURL + "?code=" + code, nil
}

// reachable says whether mail to t's owner may be sent: an address, not
// marked unreachable.
func (j *Job) reachable(ctx context.Context, t pat.Token) (bool, error) {
	owner, err := j.owner(ctx, t)
	return err == nil && t.OwnerEmail != "" && owner.Unreachable == nil, err
}

// owner reads t's owner; a missing record reads as an empty one.
func (j *Job) owner(ctx context.Context, t pat.Token) (pat.User, error) {
	u, err := j.store.GetUser(ctx, t.UserID)
	if errors.Is(err, pat.ErrUserNotFound) {
		return pat.User{ID: t.UserID}, nil
	}
	return u, err
}

// markUnreachable records a permanent refusal of mail to an owner, so no
// more is sent there and deletions wait; failing to record it is logged:
// the reminder's own "failed" outcome already holds its token's deletion.
func (j *Job) markUnreachable(ctx context.Context, userID, address string, now time.Time) {
	if err := j.domain.MarkUnreachable(ctx, token.OwnerTag(userID), address, "rejected by the mail service", now); err != nil {
		j.log.WarnContext(ctx, "owner not marked unreachable", "userId", userID, "error", err)
	}
}

// deleteIdle deletes a token unused for the inactivity period, with its
// audit event and, through the outbox, the owner's notice. A token whose
// owner could not be reminded is held instead, once per period.
func (j *Job) deleteIdle(ctx context.Context, t pat.Token, now time.Time, opt Options, rep *Report) error {
	owner, err := j.owner(ctx, t)
	if err != nil {
		return err
	}
	if key, hold := j.cfg.Policy.Hold(t, owner); hold {
		return j.holdDeletion(ctx, t, owner, key, now, opt, rep)
	}
	if opt.DryRun {
		rep.Actions = append(rep.Actions, Action{Kind: pat.StepIdleDelete, TokenID: t.ID, UserID: t.UserID, To: t.OwnerEmail})
		return nil
	}
	ev, err := j.domain.JobEvent(t, pat.ActionDeleted, map[string]string{"reason": "inactivity", "lastActivity": t.LastActivity().Format(time.RFC3339)}, now)
	if err != nil {
		return err
	}
	var n *pat.Notice
	if t.OwnerEmail != "" && owner.Unreachable == nil {
		msg, err := mail.DeletedMail(mail.Language(owner, j.cfg.Language), t, j.cfg.Policy.Inactivity, now, j.cfg.ConsoleURL)
		if err != nil {
			return err
		}
		if n, err = j.notice(t.UserID, msg); err != nil {
			return err
		}
	}
	ok, err := j.store.DeleteIdle(ctx, t, ev, n)
	if err != nil {
		return err
	}
	if !ok {
		rep.Left++ // used or changed since it was read: it survives, and is rescheduled on its next visit
		return nil
	}
	rep.Actions = append(rep.Actions, Action{Kind: pat.StepIdleDelete, TokenID: t.ID, UserID: t.UserID, To: t.OwnerEmail})
	j.log.InfoContext(ctx, "token deleted for inactivity", "tokenId", t.ID, "userId", t.UserID)
	if n == nil {
		return nil
	}
	return j.sendNotice(ctx, *n, now, opt, rep)
}

// StepHoldDeletion is the action of holding a deletion, in reports.
const StepHoldDeletion pat.StepKind = "hold_deletion"

// holdDeletion postpones the deletion of a token whose owner could not be
// reminded by the policy's hold, and tells the administrators (through the
// outbox, written with the hold) so that a person decides in time.
func (j *Job) holdDeletion(ctx context.Context, t pat.Token, owner pat.User, key string, now time.Time, opt Options, rep *Report) error {
	if opt.DryRun {
		rep.Actions = append(rep.Actions, Action{Kind: StepHoldDeletion, TokenID: t.ID, UserID: t.UserID, To: j.cfg.AdminEmail})
		return nil
	}
	value := pat.NoticeHeld + now.Format(time.RFC3339)
	t.Notices = withNotice(t.Notices, key, value)
	j.cfg.Policy.Schedule(&t, now)
	var n *pat.Notice
	if j.cfg.AdminEmail != "" {
		msg, err := mail.HeldDeletionMail(j.cfg.Language, j.cfg.AdminEmail, t, owner, j.cfg.Policy.Inactivity, *t.DueAt, j.cfg.ConsoleURL)
		if err != nil {
			return err
		}
		if n, err = j.notice("", msg); err != nil {
			return err
		}
	}
	ok, err := j.store.HoldDeletion(ctx, t, key, value, n, now)
	if err != nil || !ok {
		rep.Left++
		return err
	}
	rep.Held++
	rep.Actions = append(rep.Actions, Action{Kind: StepHoldDeletion, TokenID: t.ID, UserID: t.UserID, To: j.cfg.AdminEmail})
	j.log.WarnContext(ctx, "deletion for inactivity held: the owner could not be reminded", "tokenId", t.ID, "userId", t.UserID,
		"until", t.DueAt.Format(time.RFC3339), "adminsTold", n != nil)
	if n == nil {
		return nil
	}
	return j.sendNotice(ctx, *n, now, opt, rep)
}

// notice is an outbox notice about userID's token ("" for mail to administrators).
func (j *Job) notice(userID string, msg pat.Message) (*pat.Notice, error) {
	id, err := j.newID()
	if err != nil {
		return nil, err
	}
	msg.UserID = userID
	return &pat.Notice{ID: id, UserID: userID, Message: msg}, nil
}

func (j *Job) expire(ctx context.Context, t pat.Token, now time.Time, opt Options, rep *Report) error {
	if opt.DryRun {
		rep.Actions = append(rep.Actions, Action{Kind: pat.StepExpire, TokenID: t.ID, UserID: t.UserID})
		return nil
	}
	details := map[string]string{}
	if t.ExpiresAt != nil {
		details["expiresAt"] = t.ExpiresAt.Format(time.RFC3339)
	}
	if t.RevokedOnReuseAt != nil {
		// Ends the authorizer's revocation for good (pat.Lifecycle.Steps).
		details["revokedOnReuseAt"] = t.RevokedOnReuseAt.Format(time.RFC3339)
	}
	ev, err := j.domain.JobEvent(t, pat.ActionExpired, details, now)
	if err != nil {
		return err
	}
	if t.DeleteAfter.IsZero() {
		// A token that never expired (a replacement the authorizer revoked
		// on reuse) has no deletion time yet: kept as long as a revoked one.
		t.DeleteAfter = now.Add(j.domain.Rules().RevokedRetention)
	}
	ok, err := j.store.Expire(ctx, t, ev)
	if err != nil {
		return err
	}
	if !ok {
		rep.Left++
		return nil
	}
	rep.Actions = append(rep.Actions, Action{Kind: pat.StepExpire, TokenID: t.ID, UserID: t.UserID})
	j.log.InfoContext(ctx, "token expired", "tokenId", t.ID, "userId", t.UserID)
	return nil
}

// sendNotice mails an outbox notice through the delivery routine, which
// removes it once sent. A mail whose recipient is refused for good is
// removed too, and its owner marked unreachable; any other failure (a
// refusal of the sender among them) leaves it for a later run and stops
// this one.
func (j *Job) sendNotice(ctx context.Context, n pat.Notice, now time.Time, opt Options, rep *Report) error {
	if opt.DryRun {
		return nil
	}
	if err := j.wait(ctx); err != nil {
		rep.Left++
		return err
	}
	res, err := j.delivery.DeliverNotice(ctx, j.store, n, opt.started())
	switch res.Outcome {
	case mail.Sent:
		rep.Mails++
	case mail.Refused:
		rep.Rejected++
		if to := n.Message.To; n.UserID != "" {
			if n.Reuse != nil {
				to = n.Reuse.OwnerEmail // composed when sent: the address it was sent to is the owner's
			}
			j.markUnreachable(ctx, n.UserID, to, now)
		}
	default:
		rep.Left++
	}
	if err == nil && res.Outcome.Stops() {
		return errStop{res.Reason()}
	}
	return err
}

// wait paces mail to MailRate. A run that would have to wait past its
// stopping time (StopBefore its deadline) stops instead, leaving the rest
// to the next run: a day with more mail than one run may send is spread
// over as many runs as that takes.
func (j *Job) wait(ctx context.Context) error {
	if j.pace == nil {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-j.cfg.StopBefore))
		defer cancel()
	}
	if err := j.pace.Wait(ctx); err != nil {
		return errStop{"deadline"}
	}
	return nil
}

// nearDeadline says whether the invocation's deadline is StopBefore away:
// a deadline is wall-clock time, so it is measured on the real clock.
func (j *Job) nearDeadline(ctx context.Context) bool {
	deadline, ok := ctx.Deadline()
	return ok && time.Until(deadline) < j.cfg.StopBefore
}

// withNotice returns a copy of notices with key set: the token value read
// from the index stays as it was.
func withNotice(notices map[string]string, key, value string) map[string]string {
	out := maps.Clone(notices)
	if out == nil {
		out = map[string]string{}
	}
	out[key] = value
	return out
}

// Trigger is what starts a run: the EventBridge scheduled event (whose
// "time" makes a retried delivery act as the first did), or a manual
// invocation that may set dryRun.
type Trigger struct {
	Time   time.Time `json:"time"`
	DryRun bool      `json:"dryRun"`
}

// Handle runs the job for a trigger.
func (j *Job) Handle(ctx context.Context, in Trigger) (Report, error) {
	started := j.Now()
	now := in.Time
	if now.IsZero() {
		now = started
	}
	return j.Run(ctx, Options{Now: now, DryRun: in.DryRun, Started: started})
}
