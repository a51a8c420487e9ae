package authz

import (
	"context"
	"log/slog"
	"time"
)

// MetricsNamespace is the CloudWatch namespace of the authorizer's metrics.
const MetricsNamespace = "PAT/Authorizer"

// emfDirective declares, in CloudWatch Embedded Metric Format, which fields
// of the decision's log line are metrics: Decisions (a count, by Decision
// and by Decision and Reason) and Latency.
var emfDirective = []map[string]any{{
	"Namespace":  MetricsNamespace,
	"Dimensions": [][]string{{"Decision"}, {"Decision", "Reason"}},
	"Metrics": []map[string]string{
		{"Name": "Decisions", "Unit": "Count"},
		{"Name": "Latency", "Unit": "Milliseconds"},
	},
}}

// logDecision writes one JSON line per decision: the token id (never the
// token), the decision, its reason and latency. The same line carries the
// metrics as EMF, so CloudWatch extracts them without another call.
func (a *Authorizer) logDecision(ctx context.Context, d Decision, err error, took time.Duration) {
	decision, reason, level := d.Outcome.String(), d.Reason, slog.LevelInfo
	if err != nil {
		decision, reason, level = "error", "database_error", slog.LevelError
	}
	latency := float64(took.Microseconds()) / 1000
	attrs := []slog.Attr{
		slog.String("tokenId", d.TokenID),
		slog.String("Decision", decision),
		slog.String("Reason", reason),
		slog.Float64("Latency", latency),
		slog.Int("Decisions", 1),
		slog.Any("_aws", map[string]any{"Timestamp": a.Now().UnixMilli(), "CloudWatchMetrics": emfDirective}),
	}
	if d.RequiredScope != "" {
		attrs = append(attrs, slog.String("requiredScope", d.RequiredScope))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	a.log.LogAttrs(ctx, level, "authorization", attrs...)
}
