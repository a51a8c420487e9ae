package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/patservice/pat/internal/pat"
)

// ActorJob is the audit actor of the job's changes.
const ActorJob = "lifecycle-job"

// DefaultLease is how long a claim on a reminder or notice holds: one
// longer is taken to be left by a crashed run.
const DefaultLease = 15 * time.Minute

// Config tunes the job.
type Config struct {
	Policy         pat.Lifecycle
	ConsoleURL     string        // where owners manage their tokens
	KeepURL        string        // page of the one-click links; the code is added as ?code=
	AuditRetention time.Duration // of the job's audit events
	Lease          time.Duration // a claim older than this was left by a crashed run (DefaultLease)
	PageSize       int           // items per query: the job's memory bound
	Lookback       int           // days the first run looks back
	StopBefore     time.Duration // stop when the invocation's deadline is this near
}

// Job is the scheduled lifecycle job.
type Job struct {
	store Store
	mail  Mailer
	links Links
	newID func() (string, error)
	cfg   Config
	log   *slog.Logger
}

// New returns a Job.
func New(store Store, mail Mailer, links Links, newID func() (string, error), cfg Config, log *slog.Logger) *Job {
	return &Job{store: store, mail: mail, links: links, newID: newID, cfg: cfg, log: log}
}

// Options of one run.
type Options struct {
	Now    time.Time
	DryRun bool // report what would happen; change and send nothing
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
	Rejected    int      `json:"rejected"`    // mails the mail service refused for good
	Stopped     string   `json:"stopped,omitempty"`
}

// errStop ends a run early, leaving the rest for the next run.
type errStop struct{ reason string }

func (e errStop) Error() string { return "stopped: " + e.reason }

// Run does everything due at opt.Now, day bucket by day bucket from the
// first one with unfinished work, and saves where to start next time.
func (j *Job) Run(ctx context.Context, opt Options) (Report, error) {
	now := opt.Now.UTC().Truncate(time.Second)
	rep := Report{DryRun: opt.DryRun}
	today := now.Format(time.DateOnly)
	start, err := j.store.NextDay(ctx)
	if err != nil {
		return rep, err
	}
	if start == "" {
		start = now.AddDate(0, 0, -j.cfg.Lookback).Format(time.DateOnly)
	}
	bookmark := ""
	for day := start; day <= today; day = nextDay(day) {
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
	j.log.InfoContext(ctx, "lifecycle run", "dryRun", opt.DryRun, "days", rep.DaysRead, "itemsRead", rep.ItemsRead,
		"actions", len(rep.Actions), "mails", rep.Mails, "rescheduled", rep.Rescheduled, "left", rep.Left, "stopped", rep.Stopped)
	return rep, nil
}

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

func nextDay(day string) string {
	t, _ := time.Parse(time.DateOnly, day)
	return t.AddDate(0, 0, 1).Format(time.DateOnly)
}

// reminder is a claimed reminder waiting to be mailed.
type reminder struct {
	token pat.Token
	step  pat.Step
	claim string
	link  string
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
		t.DueAt = nil
		if next, ok := j.cfg.Policy.Next(t); ok {
			t.DueAt = &next.At
		}
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

// remind claims an owner's due reminders, mails them in one message and
// records the outcome; a failed send releases the claims for a later run.
func (j *Job) remind(ctx context.Context, due []pending, now time.Time, opt Options, rep *Report) error {
	claim := pat.NoticeSending + now.Format(time.RFC3339)
	stale := pat.NoticeSending + now.Add(-j.cfg.Lease).Format(time.RFC3339)
	var claimed []reminder
	for _, p := range due {
		if opt.DryRun {
			rep.Actions = append(rep.Actions, Action{Kind: p.step.Kind, TokenID: p.token.ID, UserID: p.token.UserID, Days: p.step.Days, To: p.token.OwnerEmail})
			continue
		}
		ok, err := j.store.ClaimReminder(ctx, p.token, p.step.Key, p.skipped, claim, stale)
		if err != nil {
			return err
		}
		if !ok {
			rep.Left++ // another run has it, or the token changed: a later visit decides
			continue
		}
		r := reminder{token: p.token, step: p.step, claim: claim}
		for _, k := range p.skipped {
			r.token.Notices = withNotice(r.token.Notices, k, pat.NoticeSkipped)
		}
		if r.link, err = j.keepLink(ctx, r); err != nil {
			j.release(ctx, []reminder{r})
			return err
		}
		claimed = append(claimed, r)
	}
	if len(claimed) == 0 {
		return nil
	}
	if claimed[0].token.OwnerEmail == "" {
		j.log.WarnContext(ctx, "reminder not sent: owner has no email address", "userId", claimed[0].token.UserID)
		return j.finish(ctx, claimed, pat.NoticeFailed+now.Format(time.RFC3339), rep)
	}
	mail, err := reminderMail(claimed, j.cfg.ConsoleURL)
	if err != nil {
		j.release(ctx, claimed)
		return err
	}
	err = j.mail.Send(ctx, mail)
	switch {
	case err == nil:
		rep.Mails++
		for _, r := range claimed {
			rep.Actions = append(rep.Actions, Action{Kind: r.step.Kind, TokenID: r.token.ID, UserID: r.token.UserID, Days: r.step.Days, To: r.token.OwnerEmail})
		}
		return j.finish(ctx, claimed, pat.NoticeSent+now.Format(time.RFC3339), rep)
	case errors.Is(err, ErrRejected):
		rep.Rejected++
		j.log.WarnContext(ctx, "reminder rejected by the mail service; not retried", "userId", claimed[0].token.UserID, "error", err)
		return j.finish(ctx, claimed, pat.NoticeFailed+now.Format(time.RFC3339), rep)
	default:
		j.release(ctx, claimed)
		rep.Left += len(claimed)
		j.log.WarnContext(ctx, "reminder not sent; left for the next run", "userId", claimed[0].token.UserID, "error", err)
		return errStop{stopReason(err)}
	}
}

// finish records each reminder's outcome and the token's next due time.
func (j *Job) finish(ctx context.Context, claimed []reminder, value string, rep *Report) error {
	for _, r := range claimed {
		t := r.token
		t.Notices = withNotice(t.Notices, r.step.Key, value)
		t.DueAt = nil
		if next, ok := j.cfg.Policy.Next(t); ok {
			t.DueAt = &next.At
		}
		if err := j.store.FinishReminder(ctx, t, r.step.Key, r.claim, value); err != nil {
			return err
		}
	}
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

func (j *Job) keepLink(ctx context.Context, r reminder) (string, error) {
	purpose, until := pat.KeepActivity, r.step.At.Add(time.Duration(r.step.Days)*24*time.Hour)
	if r.step.Kind == pat.StepExpiryReminder {
		purpose, until = pat.KeepExpiry, *r.token.ExpiresAt
	}
	code, err := j.links.IssueKeepLink(ctx, r.token, purpose, until)
	if err != nil {
		return "", err
	}
	return j.cfg.KeepURL + "?code=" + code, nil
}

// deleteIdle deletes a token unused for the inactivity period, with its
// audit event and, through the outbox, the owner's notice.
func (j *Job) deleteIdle(ctx context.Context, t pat.Token, now time.Time, opt Options, rep *Report) error {
	if opt.DryRun {
		rep.Actions = append(rep.Actions, Action{Kind: pat.StepIdleDelete, TokenID: t.ID, UserID: t.UserID, To: t.OwnerEmail})
		return nil
	}
	ev, err := j.event(t, now, pat.ActionDeleted, map[string]string{"reason": "inactivity", "lastActivity": t.LastActivity().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	noticeID, err := j.newID()
	if err != nil {
		return err
	}
	mail, err := deletedMail(t, j.cfg.Policy.Inactivity, now, j.cfg.ConsoleURL)
	if err != nil {
		return err
	}
	n := pat.Notice{ID: noticeID, UserID: t.UserID, Mail: mail}
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
	if t.OwnerEmail == "" {
		return nil
	}
	return j.sendNotice(ctx, n, now, opt, rep)
}

func (j *Job) expire(ctx context.Context, t pat.Token, now time.Time, opt Options, rep *Report) error {
	if opt.DryRun {
		rep.Actions = append(rep.Actions, Action{Kind: pat.StepExpire, TokenID: t.ID, UserID: t.UserID})
		return nil
	}
	ev, err := j.event(t, now, pat.ActionExpired, map[string]string{"expiresAt": t.ExpiresAt.Format(time.RFC3339)})
	if err != nil {
		return err
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

// sendNotice mails an outbox notice and removes it. A mail rejected for good
// is removed too; any other failure leaves it for a later run.
func (j *Job) sendNotice(ctx context.Context, n pat.Notice, now time.Time, opt Options, rep *Report) error {
	if opt.DryRun {
		return nil
	}
	d, err := deliver(ctx, j.store, j.mail, n, now, j.cfg.Lease, j.log)
	switch d {
	case delivered:
		rep.Mails++
	case rejected:
		rep.Rejected++
	case busy:
		rep.Left++
	case failed:
		rep.Left++
		return errStop{stopReason(err)}
	}
	return err
}

func (j *Job) event(t pat.Token, now time.Time, action string, details map[string]string) (pat.Event, error) {
	id, err := j.newID()
	if err != nil {
		return pat.Event{}, err
	}
	return pat.Event{ID: id, Time: now, Action: action, TokenID: t.ID, OwnerID: t.UserID, ActorID: ActorJob, ActorRole: pat.RoleJob,
		Outcome: "success", Details: details, ExpiresAt: now.Add(j.cfg.AuditRetention)}, nil
}

func (j *Job) nearDeadline(ctx context.Context) bool {
	deadline, ok := ctx.Deadline()
	return ok && time.Until(deadline) < j.cfg.StopBefore
}

func stopReason(err error) string {
	if errors.Is(err, ErrThrottled) {
		return "mail throttled"
	}
	return "mail error"
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
	now := in.Time
	if now.IsZero() {
		now = time.Now()
	}
	return j.Run(ctx, Options{Now: now, DryRun: in.DryRun})
}
