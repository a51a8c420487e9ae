package localstack

import (
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// LambdaLogger returns a logger that writes to w what a function's
// lambdacontext.NewLogger writes under Lambda's JSON log format
// (AWS_LAMBDA_LOG_FORMAT=JSON, the template's LoggingConfig): one JSON
// object a line, its text under "message" and its time under "timestamp"
// (lambdacontext.ReplaceAttr, not slog's "msg" and "time"). A test that
// reads a log line, or a metric a line publishes, reads what CloudWatch
// Logs receives in AWS.
func LambdaLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: lambdacontext.ReplaceAttr}))
}

// LogLines parses the JSON lines of logs; a line that is not JSON fails
// the test.
func LogLines(tb testing.TB, logs string) []map[string]any {
	tb.Helper()
	var lines []map[string]any
	for l := range strings.Lines(logs) {
		if strings.TrimSpace(l) == "" {
			continue
		}
		var line map[string]any
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			tb.Fatalf("log line is not JSON: %v\n%s", err, l)
		}
		lines = append(lines, line)
	}
	return lines
}

// Published is one metric value as CloudWatch files it from an EMF line:
// the line publishes each of its metrics once per dimension set.
type Published struct {
	Namespace  string
	Name       string
	Unit       string
	Dimensions map[string]string // the set's dimension names and the line's values for them
	Value      float64           // the line's value (a list of values: their sum)
	Line       map[string]any
}

// PublishedMetrics reads what the EMF lines among lines publish, as
// CloudWatch Logs does: a line whose "_aws" declares metrics in a namespace
// under dimension sets, each metric a top-level number (or list of
// numbers) and each dimension a top-level string. A declared metric or
// dimension the line lacks fails the test, as CloudWatch would drop it.
func PublishedMetrics(tb testing.TB, lines []map[string]any) []Published {
	tb.Helper()
	var out []Published
	for _, line := range lines {
		aws, ok := line["_aws"].(map[string]any)
		if !ok {
			continue
		}
		directives, _ := aws["CloudWatchMetrics"].([]any)
		if _, ok := aws["Timestamp"].(float64); !ok || len(directives) == 0 {
			tb.Fatalf("EMF line without a timestamp or metrics: %v", line)
		}
		for _, d := range directives {
			d, _ := d.(map[string]any)
			namespace, _ := d["Namespace"].(string)
			sets, _ := d["Dimensions"].([]any)
			metrics, _ := d["Metrics"].([]any)
			for _, m := range metrics {
				m, _ := m.(map[string]any)
				name, _ := m["Name"].(string)
				unit, _ := m["Unit"].(string)
				value, ok := metricValue(line[name])
				if namespace == "" || name == "" || !ok {
					tb.Fatalf("EMF line declares %s %q but carries no value for it: %v", namespace, name, line)
				}
				for _, set := range sets {
					dims := map[string]string{}
					names, _ := set.([]any)
					for _, n := range names {
						n, _ := n.(string)
						v, ok := line[n].(string)
						if !ok {
							tb.Fatalf("EMF line lacks the string dimension %q of %s %s: %v", n, namespace, name, line)
						}
						dims[n] = v
					}
					out = append(out, Published{Namespace: namespace, Name: name, Unit: unit, Dimensions: dims, Value: value, Line: line})
				}
			}
		}
	}
	return out
}

func metricValue(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case []any:
		sum := 0.0
		for _, x := range v {
			f, ok := x.(float64)
			if !ok {
				return 0, false
			}
			sum += f
		}
		return sum, len(v) > 0
	}
	return 0, false
}

// Sum adds up what ps publish as namespace/name with exactly the
// dimensions dims (nil: none), the way an alarm on that metric sees it.
func Sum(ps []Published, namespace, name string, dims map[string]string) float64 {
	sum := 0.0
	for _, p := range ps {
		if p.Namespace == namespace && p.Name == name && maps.Equal(p.Dimensions, dims) {
			sum += p.Value
		}
	}
	return sum
}

// Messages lists the "message" of each line, for failure output.
func Messages(lines []map[string]any) []string {
	var out []string
	for _, l := range lines {
		if m, ok := l["message"].(string); ok {
			out = append(out, m)
		}
	}
	return out
}
