package lifecycle_test

import (
	"context"
	"testing"
	"time"

	"github.com/patservice/pat/internal/lifecycle"
)

// A run reads a bounded number of day buckets for any now: at the last
// second of year 9999 it reads its look-back and ends there (day by day as
// text, 10000-01-01 sorts before 9999-12-31 and the walk went on from year
// 1), and it gives the run lock back. A bookmark years old is caught up on
// at most MaxDaysPerRun days per run, each run going on where the last
// stopped.
func TestDayLoopIsBounded(t *testing.T) {
	e := newEnv(t)
	j := e.job(t, e.Mail, nil)
	store := storeOf(e)
	// A deadline, as a Lambda invocation has: the job stops 30 s (StopBefore)
	// before it, so an unbounded walk ends too, 15 s in.
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()

	end := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	rep, err := j.Run(ctx, lifecycle.Options{Now: end, Started: time.Now()})
	if err != nil || rep.DaysRead != 401 || rep.FirstDay != "9998-11-26" {
		t.Fatalf("a run at %s: read %d days from %s (want 401 from 9998-11-26), %v", end, rep.DaysRead, rep.FirstDay, err)
	}
	if rep, err := j.Run(ctx, lifecycle.Options{Now: t0, DryRun: false}); err != nil || rep.Stopped != "" {
		t.Fatalf("the next run: %+v %v (the run lock must be free)", rep, err)
	}

	if err := store.SaveNextDay(ctx, "2000-01-01"); err != nil {
		t.Fatal(err)
	}
	rep, err = j.Run(ctx, lifecycle.Options{Now: t0})
	if err != nil || rep.DaysRead != lifecycle.MaxDaysPerRun || rep.FirstDay != "2000-01-01" || rep.Stopped == "" {
		t.Fatalf("a run from an old bookmark: %+v %v", rep, err)
	}
	if next, err := store.NextDay(ctx); err != nil || next != "2002-09-27" {
		t.Fatalf("the next run starts at %q (%v), want 2002-09-27, the first day not read", next, err)
	}
}
