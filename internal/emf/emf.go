// Package emf writes CloudWatch metrics as log lines, in the Embedded
// Metric Format: a JSON log line that carries an "_aws" member declaring
// which of its fields are metrics, in which namespace, with which
// dimensions. CloudWatch Logs turns such a line into metric values with no
// API call and no metric filter, so the line that says what happened is
// also the one that counts it, and cannot drift from an alarm's pattern.
package emf

import (
	"log/slog"
	"time"
)

// Unit is a CloudWatch unit.
type Unit string

const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
)

// Metric is a metric a line carries under its name, as a number or a list
// of up to 100 numbers.
type Metric struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit"`
}

// Directive declares the metrics of a kind of line: their namespace, the
// dimension sets they are published under (each a list of the line's string
// fields; an empty set publishes the metric without dimensions) and their
// names and units.
type Directive struct {
	Namespace  string
	Dimensions [][]string
	Metrics    []Metric
}

// Attr is the "_aws" member that makes a log line an EMF line with d's
// metrics, stamped at (CloudWatch files the values at that time). The line
// itself must carry each metric and each dimension as a top-level field.
func (d Directive) Attr(at time.Time) slog.Attr {
	return slog.Any("_aws", map[string]any{
		"Timestamp": at.UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  d.Namespace,
			"Dimensions": d.Dimensions,
			"Metrics":    d.Metrics,
		}},
	})
}
