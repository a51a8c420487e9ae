package authz

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/patservice/pat/internal/emf"
)

// MetricsNamespace is the CloudWatch namespace of the authorizer's metrics.
const MetricsNamespace = "PAT/Authorizer"

// SelfRotationNamespace is the namespace of the decisions of the
// management API's self-rotation (OnlyRoute).
const SelfRotationNamespace = "PAT/SelfRotation"

// MetricsFlushInterval is how often an instance writes its aggregated
// metrics: one line per decision and reason seen since the last flush.
const MetricsFlushInterval = 10 * time.Second

// emfDirective declares, in CloudWatch Embedded Metric Format, which fields
// of a metrics line are metrics: Decisions (a count, by Decision and by
// Decision and Reason) and Latency (up to 100 sampled values).
var emfDirective = emf.Directive{
	Namespace:  MetricsNamespace,
	Dimensions: [][]string{{"Decision"}, {"Decision", "Reason"}},
	Metrics:    []emf.Metric{{Name: "Decisions", Unit: emf.Count}, {Name: "Latency", Unit: emf.Milliseconds}},
}

// reuseDirective declares ReuseReports, one per report of a replaced
// token used after its end (at most one per token per pat.ReusePeriod):
// the alarm on reuse watches it, without dimensions.
var reuseDirective = emf.Directive{
	Namespace:  MetricsNamespace,
	Dimensions: [][]string{{}},
	Metrics:    []emf.Metric{{Name: "ReuseReports", Unit: emf.Count}},
}

// logDecision records one decision. Every deny and error is logged on its
// own line (the token id, never the token; the reason; the required scope)
// that carries its metrics as EMF, so that an error reaches the alarms at
// once. Allows are counted per instance and written as one aggregated EMF
// line per reason at most every MetricsFlushInterval, and logged on a line
// of their own with probability AllowLogSample. Logs are most of an
// uncached decision's cost beyond the Lambda and DynamoDB fees, and an
// allow line says little the metrics do not.
func (a *Authorizer) logDecision(ctx context.Context, d Decision, err error, took time.Duration) {
	decision, reason, level := d.Outcome.String(), d.Reason, slog.LevelInfo
	if err != nil {
		decision, reason, level = "error", "database_error", slog.LevelError
	}
	latency := float64(took.Microseconds()) / 1000
	now := a.Now()
	allow := decision == "allow"
	if !allow || a.AllowLogSample >= 1 || a.AllowLogSample > 0 && rand.Float64() < a.AllowLogSample {
		attrs := []slog.Attr{
			slog.String("tokenId", d.TokenID),
			slog.String("Decision", decision),
			slog.String("Reason", reason),
			slog.Float64("Latency", latency),
		}
		if d.RequiredScope != "" {
			attrs = append(attrs, slog.String("requiredScope", d.RequiredScope))
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		if !allow {
			attrs = append(attrs, slog.Int("Decisions", 1),
				a.decisions.Attr(now))
		}
		a.log.LogAttrs(ctx, level, "authorization", attrs...)
	}
	if !allow {
		return
	}
	if lines := a.metrics.add(decision, reason, latency, now); lines != nil {
		for _, l := range lines {
			a.log.LogAttrs(ctx, slog.LevelInfo, "authorizer metrics",
				slog.String("Decision", l.decision), slog.String("Reason", l.reason),
				slog.Int("Decisions", l.count), slog.Any("Latency", l.latencies),
				a.decisions.Attr(now))
		}
	}
}

// metrics aggregates allowed decisions between flushes. A flush happens on
// a decision at least MetricsFlushInterval after the last one: an instance
// that goes idle, or that Lambda retires, takes the allows counted since
// its last flush with it (denies and errors are never held back).
type metrics struct {
	mu   sync.Mutex
	keys map[[2]string]*aggregate
	last time.Time // of the last flush; zero: flush at the first decision
}

type aggregate struct {
	decision, reason string
	count            int
	latencies        []float64 // the first 100 of the interval: EMF's limit per line
}

// add counts a decision and, when the interval has passed, returns the
// aggregates to write and starts a new interval.
func (m *metrics) add(decision, reason string, latency float64, now time.Time) []aggregate {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil {
		m.keys = map[[2]string]*aggregate{}
	}
	agg := m.keys[[2]string{decision, reason}]
	if agg == nil {
		agg = &aggregate{decision: decision, reason: reason}
		m.keys[[2]string{decision, reason}] = agg
	}
	agg.count++
	if len(agg.latencies) < 100 {
		agg.latencies = append(agg.latencies, latency)
	}
	if now.Sub(m.last) < MetricsFlushInterval {
		return nil
	}
	out := make([]aggregate, 0, len(m.keys))
	for _, a := range m.keys {
		out = append(out, *a)
	}
	clear(m.keys)
	m.last = now
	return out
}
