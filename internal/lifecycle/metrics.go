package lifecycle

import (
	"context"
	"log/slog"
	"time"

	"github.com/patservice/pat/internal/emf"
)

// MetricsNamespace is the CloudWatch namespace of the job's metrics.
const MetricsNamespace = "PAT/Lifecycle"

// runMetrics declares which fields of a run's log line are metrics: what
// operators alarm on (mail refused for good, deletions held because an
// owner could not be reminded, work left for a later run) and what they
// watch.
var runMetrics = emf.Directive{
	Namespace:  MetricsNamespace,
	Dimensions: [][]string{{}},
	Metrics: []emf.Metric{
		{Name: "ItemsRead", Unit: emf.Count},
		{Name: "Mails", Unit: emf.Count},
		{Name: "MailsRejected", Unit: emf.Count},
		{Name: "RemindersSuppressed", Unit: emf.Count},
		{Name: "DeletionsHeld", Unit: emf.Count},
		{Name: "Left", Unit: emf.Count},
	},
}

// logRun writes one JSON line per run, carrying its metrics as EMF.
func (j *Job) logRun(ctx context.Context, rep Report, now time.Time) {
	j.log.LogAttrs(ctx, slog.LevelInfo, "lifecycle run",
		slog.Bool("dryRun", rep.DryRun), slog.Int("days", rep.DaysRead), slog.Int("ItemsRead", rep.ItemsRead),
		slog.Int("actions", len(rep.Actions)), slog.Int("Mails", rep.Mails), slog.Int("MailsRejected", rep.Rejected),
		slog.Int("RemindersSuppressed", rep.Suppressed), slog.Int("DeletionsHeld", rep.Held),
		slog.Int("rescheduled", rep.Rescheduled), slog.Int("Left", rep.Left), slog.String("stopped", rep.Stopped),
		runMetrics.Attr(now))
}
