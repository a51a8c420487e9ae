package dynamo_test

import (
	"slices"
	"testing"
	"time"

	"github.com/patservice/pat/internal/pat"
)

// A time filter means the same instants whatever RFC 3339 offset it is
// written in: across a UTC month boundary (the month index's partitions),
// from and to given at -05:00 or +05:00 list what the same span in Z lists.
func TestAuditTimeFilterWithAnyOffset(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	// The next UTC month boundary: the events lie either side of it, in
	// the future, where DynamoDB Local's TTL leaves them alone.
	now := time.Now().UTC()
	boundary := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	var want []string
	for _, at := range []time.Duration{-90 * time.Minute, -30 * time.Minute, 30 * time.Minute, 90 * time.Minute} {
		f.now = boundary.Add(at)
		tok := f.token(t, "alice")
		page, err := f.store.ListEvents(ctx, tok.ID, pat.PageRequest{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		want = append([]string{page.Items[0].ID}, want...) // newest first
	}
	from, to := boundary.Add(-2*time.Hour), boundary.Add(2*time.Hour)
	for _, zone := range []*time.Location{time.UTC, time.FixedZone("-05:00", -5*3600), time.FixedZone("+05:00", 5*3600), time.FixedZone("+14:00", 14*3600)} {
		from, to := from.In(zone), to.In(zone)
		page, err := f.store.ListAudit(ctx, pat.AuditFilter{From: &from, To: &to}, pat.PageRequest{Limit: 10, List: "audit"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ev := range page.Items {
			got = append(got, ev.ID)
		}
		if !slices.Equal(got, want) || page.Next != "" {
			t.Errorf("from %s to %s: listed %v, want %v", from.Format(time.RFC3339), to.Format(time.RFC3339), got, want)
		}
	}
}
