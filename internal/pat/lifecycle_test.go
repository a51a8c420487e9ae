package pat

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

var testLifecycle = Lifecycle{Inactivity: 180 * day, IdleReminders: []int{14, 3}, ExpiryReminders: []int{7, 1}}

const day = 24 * time.Hour

func TestLifecycleSteps(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := t0.Add(d); return &x }
	yearLater := at(365 * day)
	fresh := Token{Status: StatusActive, CreatedAt: t0, ExpiresAt: yearLater}
	used := fresh
	used.LastUsedAt = at(100 * day)
	idleKey := func(act time.Time, d int) string { return "idle:" + itoa(act.Unix()) + ":" + itoa(int64(d)) }
	first := fresh
	first.Notices = map[string]string{idleKey(t0, 14): NoticeSent + t0.Add(166*day).Format(time.RFC3339)}
	both := first
	both.Notices = map[string]string{idleKey(t0, 14): first.Notices[idleKey(t0, 14)], idleKey(t0, 3): NoticeSent + t0.Add(177*day).Format(time.RFC3339)}
	late := first
	late.Notices = map[string]string{idleKey(t0, 14): first.Notices[idleKey(t0, 14)], idleKey(t0, 3): NoticeSent + t0.Add(179*day).Format(time.RFC3339)}
	soon := Token{Status: StatusActive, CreatedAt: t0, ExpiresAt: at(30 * day)}
	revoked := fresh
	revoked.Status = StatusRevoked

	cases := []struct {
		name string
		tok  Token
		want string // kind@day of the next step
	}{
		{"fresh: first idle reminder", fresh, "idle_reminder@166"},
		{"used: counts from the use", used, "idle_reminder@266"},
		{"first reminder sent", first, "idle_reminder@177"},
		{"both sent: deletion", both, "idle_delete@180"},
		{"last reminder late: deletion waits 3 days after it", late, "idle_delete@182"},
		{"expires first: expiry reminders", soon, "expiry_reminder@23"},
		{"revoked: nothing", revoked, "none"},
		{"expires when it would be deleted: expiry only", Token{Status: StatusActive, CreatedAt: t0, ExpiresAt: at(180 * day)}, "expiry_reminder@173"},
	}
	for _, tc := range cases {
		got := "none"
		if s, ok := testLifecycle.Next(tc.tok); ok {
			got = string(s.Kind) + "@" + itoa(int64(s.At.Sub(t0)/day))
		}
		if got != tc.want {
			t.Errorf("%s: next %s, want %s", tc.name, got, tc.want)
		}
	}
	var kinds []string
	for _, s := range testLifecycle.Steps(soon) {
		kinds = append(kinds, string(s.Kind)+"@"+itoa(int64(s.At.Sub(t0)/day)))
	}
	if got := strings.Join(kinds, " "); got != "expiry_reminder@23 expiry_reminder@29 expire@30" {
		t.Errorf("steps of a token expiring before it idles out: %s", got)
	}
}

func TestLifecycleDueSupersedes(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tok := Token{Status: StatusActive, CreatedAt: t0}
	step, skipped, ok := testLifecycle.Due(tok, t0.Add(178*day))
	if !ok || step.Days != 3 || len(skipped) != 1 || !strings.HasSuffix(skipped[0], ":14") {
		t.Fatalf("job down until day 178: step %+v, skipped %v", step, skipped)
	}
	if _, _, ok := testLifecycle.Due(tok, t0.Add(100*day)); ok {
		t.Fatal("a step is due on day 100")
	}
	expiring := Token{Status: StatusActive, CreatedAt: t0, ExpiresAt: &[]time.Time{t0.Add(30 * day)}[0]}
	if step, skipped, _ := testLifecycle.Due(expiring, t0.Add(40*day)); step.Kind != StepExpire || len(skipped) != 2 {
		t.Fatalf("past its expiry: step %+v, skipped %v; want the expiry, no reminder", step, skipped)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Schedule files a token under its next step, or under now when that step
// is already past; KeptUntil is the earlier of deletion and expiry.
func TestLifecycleScheduleAndKeptUntil(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := t0.Add(d); return &x }
	cases := []struct {
		name      string
		tok       Token
		now       time.Time
		wantDue   *time.Time
		wantUntil time.Time
	}{
		{"a year to live: first idle reminder", Token{Status: StatusActive, CreatedAt: t0, ExpiresAt: at(365 * day)}, t0, at(166 * day), t0.Add(180 * day)},
		{"three days to live: the 7-day reminder is due now", Token{Status: StatusActive, CreatedAt: t0, ExpiresAt: at(3 * day)}, t0.Add(time.Hour), at(time.Hour), t0.Add(3 * day)},
		{"never expires", Token{Status: StatusActive, CreatedAt: t0}, t0, at(166 * day), t0.Add(180 * day)},
		{"revoked: nothing due", Token{Status: StatusRevoked, CreatedAt: t0, ExpiresAt: at(365 * day)}, t0, nil, t0.Add(180 * day)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := c.tok
			testLifecycle.Schedule(&tok, c.now)
			if (tok.DueAt == nil) != (c.wantDue == nil) || tok.DueAt != nil && !tok.DueAt.Equal(*c.wantDue) {
				t.Errorf("DueAt = %v, want %v", tok.DueAt, c.wantDue)
			}
			if got := testLifecycle.KeptUntil(c.tok); !got.Equal(c.wantUntil) {
				t.Errorf("KeptUntil = %v, want %v", got, c.wantUntil)
			}
		})
	}
}

// A reminder names the day its deletion will really happen: sent late, its
// own days after it was sent, never a day already past. An expiry stays
// where it is.
func TestReminderDeadline(t *testing.T) {
	at := time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		step Step
		sent time.Time
		want time.Time
	}{
		{"idle, on time", Step{Kind: StepIdleReminder, At: at, Days: 3}, at, at.Add(3 * day)},
		{"idle, ten days late", Step{Kind: StepIdleReminder, At: at, Days: 3}, at.Add(10 * day), at.Add(13 * day)},
		{"expiry, late", Step{Kind: StepExpiryReminder, At: at, Days: 7}, at.Add(5 * day), at.Add(7 * day)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.step.Deadline(c.sent); !got.Equal(c.want) {
				t.Errorf("Deadline(%s) = %s, want %s", c.sent, got, c.want)
			}
		})
	}
}

// Only keys of past periods are stale: those the steps of the token as it
// is read (its reminders, its hold) never are, whatever was sent.
func TestStaleNotices(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := t0.Add(d); return &x }
	idle := func(from time.Time, k string) string { return "idle:" + strconv.FormatInt(from.Unix(), 10) + ":" + k }
	expiry := func(e time.Time, d string) string { return "expiry:" + strconv.FormatInt(e.Unix(), 10) + ":" + d }
	year, later := *at(365 * day), *at(400 * day)
	used := *at(200 * day)
	notices := map[string]string{
		idle(t0, "14"): "sent:x", idle(t0, "3"): "sent:x", idle(t0, "hold"): "held:x", // the first period
		idle(used, "14"):  "sending:x",                             // the period since the last use
		expiry(year, "7"): "sent:x", expiry(later, "1"): "skipped", // the first expiry, and the extended one
		"custom": "kept", // not the job's: left alone
	}
	for _, c := range []struct {
		name string
		tok  Token
		want []string
	}{
		{"never used, first expiry", Token{CreatedAt: t0, ExpiresAt: &year}, []string{expiry(later, "1"), idle(used, "14")}},
		{"used, extended", Token{CreatedAt: t0, LastUsedAt: &used, ExpiresAt: &later}, []string{expiry(year, "7"), idle(t0, "14"), idle(t0, "3"), idle(t0, "hold")}},
		{"used, never expires", Token{CreatedAt: t0, LastUsedAt: &used}, []string{expiry(year, "7"), expiry(later, "1"), idle(t0, "14"), idle(t0, "3"), idle(t0, "hold")}},
		{"no notices", Token{CreatedAt: t0}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok := c.tok
			tok.Status = StatusActive
			if c.name != "no notices" {
				tok.Notices = notices
			}
			got := StaleNotices(tok)
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Fatalf("stale %v, want %v", got, c.want)
			}
			for _, s := range testLifecycle.Steps(tok) {
				if s.Key != "" && strings.Contains(" "+strings.Join(got, " ")+" ", " "+s.Key+" ") {
					t.Errorf("step %s reads %s, which is called stale", s.Kind, s.Key)
				}
			}
		})
	}
}
