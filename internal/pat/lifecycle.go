package pat

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Lifecycle is the rule for tokens nobody uses and tokens that expire:
// reminders IdleReminders days before a token unused for Inactivity is
// deleted, and ExpiryReminders days before it expires.
type Lifecycle struct {
	Inactivity      time.Duration
	IdleReminders   []int // days before deletion, e.g. 14 and 3
	ExpiryReminders []int // days before expiry, e.g. 7 and 1
	// HoldUnreachable is how long a deletion for inactivity waits, with the
	// administrators told, when its owner could not be reminded.
	HoldUnreachable time.Duration
}

// StepKind is what the lifecycle job does to a token.
type StepKind string

const (
	StepIdleReminder   StepKind = "idle_reminder"
	StepIdleDelete     StepKind = "idle_delete"
	StepExpiryReminder StepKind = "expiry_reminder"
	StepExpire         StepKind = "expire"
)

// Step is one action on a token, due at At. Key names a reminder in the
// token's Notices: one per period of inactivity (it contains the last
// activity) or per expiry date (it contains the date), so each is sent once.
type Step struct {
	Kind StepKind
	At   time.Time
	Days int // days ahead the reminder warns of
	Key  string
}

// IsReminder reports whether the step sends a reminder.
func (s Step) IsReminder() bool { return s.Kind == StepIdleReminder || s.Kind == StepExpiryReminder }

// Deadline is what a reminder sent at sent warns of: when the token
// expires, or when it is deleted for inactivity. A late reminder (the job
// was down, or mail was blocked) moves the deletion to its own days after
// it was sent (see Steps), so it names that day, never one already past.
func (s Step) Deadline(sent time.Time) time.Time {
	at := s.At
	if s.Kind == StepIdleReminder && sent.After(at) {
		at = sent
	}
	return at.Add(time.Duration(s.Days) * 24 * time.Hour)
}

// Notice values.
const (
	NoticeHeld    = "held:"    // + time: the deletion waits, administrators told (under the hold key)
	NoticeSending = "sending:" // + claim time: being sent
	NoticeSent    = "sent:"    // + send time
	NoticeFailed  = "failed:"  // + time: refused for good by the mail service; not retried
	NoticeSkipped = "skipped"  // a later reminder of the same kind was due as well
)

// noticeDone reports whether a reminder needs no more work.
func noticeDone(v string) bool {
	return strings.HasPrefix(v, NoticeSent) || strings.HasPrefix(v, NoticeFailed) || v == NoticeSkipped
}

// Steps lists a token's remaining steps, earliest first. A revoked token,
// or one the job already marked expired, has none. Deletion for inactivity
// waits until the last reminder of the period was sent at least its number
// of days before: an owner is always warned in time, even after the job
// was down.
func (l Lifecycle) Steps(t Token) []Step {
	if t.Status == StatusRevoked || t.Status == StatusExpired {
		return nil
	}
	if t.RevokedOnReuseAt != nil {
		// Revoked by the authorizer's mark: ended for good at once.
		return []Step{{Kind: StepExpire, At: *t.RevokedOnReuseAt}}
	}
	if t.ReplacedBy != "" {
		// Replaced with an overlap: it only ends, at the overlap's end (its
		// expiry); its owner holds the replacement and needs no reminder.
		if t.ExpiresAt == nil {
			return nil
		}
		return []Step{{Kind: StepExpire, At: *t.ExpiresAt}}
	}
	var steps []Step
	day := 24 * time.Hour
	if e := t.ExpiresAt; e != nil {
		for _, d := range l.ExpiryReminders {
			key := fmt.Sprintf("expiry:%d:%d", e.Unix(), d)
			if !noticeDone(t.Notices[key]) {
				steps = append(steps, Step{Kind: StepExpiryReminder, At: e.Add(-time.Duration(d) * day), Days: d, Key: key})
			}
		}
		steps = append(steps, Step{Kind: StepExpire, At: *e})
	}
	activity := t.LastActivity()
	deleteAt := activity.Add(l.Inactivity)
	pending := false
	for _, d := range l.IdleReminders {
		key := fmt.Sprintf("idle:%d:%d", activity.Unix(), d)
		v := t.Notices[key]
		if !noticeDone(v) {
			pending = true
			steps = append(steps, Step{Kind: StepIdleReminder, At: deleteAt.Add(-time.Duration(d) * day), Days: d, Key: key})
		} else if sent, ok := strings.CutPrefix(v, NoticeSent); ok {
			if at, err := time.Parse(time.RFC3339, sent); err == nil && at.Add(time.Duration(d)*day).After(deleteAt) {
				deleteAt = at.Add(time.Duration(d) * day)
			}
		}
	}
	if held, ok := strings.CutPrefix(t.Notices[holdKey(activity)], NoticeHeld); ok {
		if at, err := time.Parse(time.RFC3339, held); err == nil && at.Add(l.HoldUnreachable).After(deleteAt) {
			deleteAt = at.Add(l.HoldUnreachable)
		}
	}
	if !pending {
		steps = append(steps, Step{Kind: StepIdleDelete, At: deleteAt})
	}
	// A token that expires no later than it would be deleted just expires:
	// its expiry reminders say all there is to say.
	if t.ExpiresAt != nil && !deleteAt.Before(*t.ExpiresAt) {
		steps = slices.DeleteFunc(steps, func(s Step) bool { return s.Kind == StepIdleReminder || s.Kind == StepIdleDelete })
	}
	slices.SortStableFunc(steps, func(a, b Step) int { return a.At.Compare(b.At) })
	return steps
}

// holdKey names the hold of one period of inactivity in a token's Notices.
func holdKey(activity time.Time) string { return fmt.Sprintf("idle:%d:hold", activity.Unix()) }

// StaleNotices lists the keys of t's Notices that no step reads any more:
// those of a past period of inactivity (a key names the last activity it
// counted from) or of an expiry date the token no longer has. Every write
// of a token removes them,
// so that Notices holds at most one period's and one expiry's keys
// however long the token lives. Sorted.
func StaleNotices(t Token) []string {
	idle := fmt.Sprintf("idle:%d:", t.LastActivity().Unix())
	expiry := "expiry:none:"
	if t.ExpiresAt != nil {
		expiry = fmt.Sprintf("expiry:%d:", t.ExpiresAt.Unix())
	}
	var stale []string
	for k := range t.Notices {
		past := strings.HasPrefix(k, "idle:") && !strings.HasPrefix(k, idle) ||
			strings.HasPrefix(k, "expiry:") && !strings.HasPrefix(k, expiry)
		if past {
			stale = append(stale, k)
		}
	}
	slices.Sort(stale)
	return stale
}

// Hold says whether a deletion for inactivity that is due must wait: its
// owner cannot be reached (an address marked unreachable, or a reminder of
// this period refused for good) and it has not been held yet for this
// period. key is the hold's notice key: Steps moves the deletion
// HoldUnreachable after the time stored there.
func (l Lifecycle) Hold(t Token, owner User) (key string, hold bool) {
	activity := t.LastActivity()
	key = holdKey(activity)
	if _, held := t.Notices[key]; held {
		return key, false
	}
	if owner.Unreachable != nil || t.OwnerEmail == "" {
		return key, true
	}
	for _, d := range l.IdleReminders {
		if strings.HasPrefix(t.Notices[fmt.Sprintf("idle:%d:%d", activity.Unix(), d)], NoticeFailed) {
			return key, true
		}
	}
	return key, false
}

// Schedule sets when the lifecycle job next acts on t, written at now: at
// its earliest remaining step, or never. A step already past (the first
// expiry reminder of a token with only days to live) is due now, not at
// its own time: the job reads the due index from its last run on, so an
// item filed under an earlier day would never be read.
func (l Lifecycle) Schedule(t *Token, now time.Time) {
	t.DueAt = nil
	if step, ok := l.Next(*t); ok {
		at := step.At
		if at.Before(now) {
			at = now
		}
		t.DueAt = &at
	}
}

// KeptUntil is when t goes unless it is used or extended: the earlier of
// its deletion for inactivity and its expiry.
func (l Lifecycle) KeptUntil(t Token) time.Time {
	until := t.LastActivity().Add(l.Inactivity)
	if t.ExpiresAt != nil && t.ExpiresAt.Before(until) {
		until = *t.ExpiresAt
	}
	return until
}

// Next is the earliest remaining step; ok is false when there is none.
func (l Lifecycle) Next(t Token) (Step, bool) {
	steps := l.Steps(t)
	if len(steps) == 0 {
		return Step{}, false
	}
	return steps[0], true
}

// Due returns the step to take at now, and the reminders it supersedes: of
// several reminders of one kind that are all due, only the most urgent is
// sent, and no reminder is sent for an expiry that is due itself. ok is
// false when nothing is due.
func (l Lifecycle) Due(t Token, now time.Time) (step Step, skipped []string, ok bool) {
	steps := l.Steps(t)
	if len(steps) == 0 || steps[0].At.After(now) {
		return Step{}, nil, false
	}
	step = steps[0]
	for _, s := range steps[1:] {
		supersedes := s.Kind == step.Kind || step.Kind == StepExpiryReminder && s.Kind == StepExpire
		if s.At.After(now) || !step.IsReminder() || !supersedes {
			break
		}
		skipped = append(skipped, step.Key)
		step = s
	}
	return step, skipped, true
}
