package lifecycle

import (
	"context"
	"strconv"
	"time"

	"github.com/patservice/pat/internal/pat"
)

// BackfillPerRun bounds the items of the tokens table one run's
// owner-state backfill scans (about 1 KB each: some 600 read units); a
// table of a million items is seen in 200 daily runs, and a run that
// reaches it goes on where it stopped next time.
const BackfillPerRun = 5000

// backfill goes on with the backfills after the run's own work: the
// owner-state backfill (Store.BackfillOwnerStates), then the list backfill
// (Store.BackfillLists), each until BackfillPerRun items or the deadline,
// each recording what it did in one audit event and a log line. Once a
// backfill is done a run costs one read for it.
func (j *Job) backfill(ctx context.Context, now time.Time, rep *Report) error {
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-j.cfg.StopBefore))
		defer cancel()
	}
	if err := j.backfillOwnerStates(ctx, now, rep); err != nil {
		return err
	}
	return j.backfillLists(ctx, now, rep)
}

// backfillOwnerStates is the run's part of the owner-state backfill.
func (j *Job) backfillOwnerStates(ctx context.Context, now time.Time, rep *Report) error {
	res, err := j.store.BackfillOwnerStates(ctx, BackfillPerRun, j.cfg.PageSize)
	rep.Backfill = &res
	if res.Scanned > 0 {
		j.log.InfoContext(ctx, "owner-state backfill", "scanned", res.Scanned, "copied", res.Copied, "skipped", res.Skipped,
			"orphans", res.Orphans, "done", res.Done)
		ev, evErr := j.domain.JobEvent(pat.Token{UserID: pat.ActorJob}, pat.ActionTokensOwnerStateCopied, map[string]string{
			"scanned": strconv.Itoa(res.Scanned), "copied": strconv.Itoa(res.Copied), "skipped": strconv.Itoa(res.Skipped),
			"orphans": strconv.Itoa(res.Orphans), "done": strconv.FormatBool(res.Done)}, now)
		if evErr == nil {
			evErr = j.store.RecordEvent(context.WithoutCancel(ctx), ev)
		}
		if err == nil {
			err = evErr
		}
	}
	return err
}

// backfillLists is the run's part of the list backfill: the entries of
// tokens and users recorded before the list index.
func (j *Job) backfillLists(ctx context.Context, now time.Time, rep *Report) error {
	res, err := j.store.BackfillLists(ctx, BackfillPerRun, j.cfg.PageSize)
	rep.ListBackfill = &res
	if res.Scanned > 0 {
		j.log.InfoContext(ctx, "list backfill", "scanned", res.Scanned, "tokens", res.Tokens, "users", res.Users, "expiries", res.Expiries, "uses", res.Uses, "done", res.Done)
		ev, evErr := j.domain.JobEvent(pat.Token{UserID: pat.ActorJob}, pat.ActionListsBackfilled, map[string]string{
			"scanned": strconv.Itoa(res.Scanned), "tokens": strconv.Itoa(res.Tokens), "users": strconv.Itoa(res.Users),
			"expiries": strconv.Itoa(res.Expiries), "uses": strconv.Itoa(res.Uses), "done": strconv.FormatBool(res.Done)}, now)
		if evErr == nil {
			evErr = j.store.RecordEvent(context.WithoutCancel(ctx), ev)
		}
		if err == nil {
			err = evErr
		}
	}
	return err
}
