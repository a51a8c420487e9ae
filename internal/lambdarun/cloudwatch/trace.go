package cloudwatch

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/patservice/pat/internal/samstack"
)

// Metric is a metric an alarm watches.
type Metric struct {
	Namespace, Name string
	Unit            string // "" when the alarm does not name one
	Dimensions      map[string]string
	// Names are the logical ids the dimension values refer to (Ref or
	// Fn::GetAtt), by dimension name.
	Names map[string]string
}

func (m Metric) String() string {
	s := m.Namespace + " " + m.Name + dims(m.Dimensions)
	if m.Unit != "" {
		s += " (" + m.Unit + ")"
	}
	return s
}

// Custom reports whether the stack must publish the metric itself: AWS
// publishes the AWS/ namespaces.
func (m Metric) Custom() bool { return !strings.HasPrefix(m.Namespace, "AWS/") }

// Alarm is an AWS::CloudWatch::Alarm of the stack with the metrics it
// watches (one, or those of its metric math).
type Alarm struct {
	LogicalID string
	Metrics   []Metric
	// Breaches reports whether one value of a metric would make the alarm
	// fire: against its threshold for an alarm on one metric, above zero
	// for metric math (the stack's sum counts of failures).
	Breaches func(float64) bool
}

// breaches returns the test of an alarm's ComparisonOperator and Threshold.
func breaches(s *samstack.Stack, props map[string]any) (func(float64) bool, error) {
	resolved, err := s.Resolve(map[string]any{"Op": props["ComparisonOperator"], "Threshold": props["Threshold"]})
	if err != nil {
		return nil, err
	}
	m := resolved.(map[string]any)
	threshold, err := strconv.ParseFloat(fmt.Sprint(m["Threshold"]), 64)
	if err != nil {
		return nil, fmt.Errorf("Threshold: %w", err)
	}
	switch m["Op"] {
	case "GreaterThanThreshold":
		return func(v float64) bool { return v > threshold }, nil
	case "GreaterThanOrEqualToThreshold":
		return func(v float64) bool { return v >= threshold }, nil
	case "LessThanThreshold":
		return func(v float64) bool { return v < threshold }, nil
	case "LessThanOrEqualToThreshold":
		return func(v float64) bool { return v <= threshold }, nil
	}
	return nil, fmt.Errorf("ComparisonOperator %v: not one the checks know", m["Op"])
}

// Alarms returns the alarms of the stack and those it nests, sorted by
// logical id.
func Alarms(root *samstack.Stack) ([]Alarm, error) {
	var out []Alarm
	for _, s := range root.Stacks() {
		alarms, err := stackAlarms(s)
		if err != nil {
			return nil, err
		}
		out = append(out, alarms...)
	}
	slices.SortFunc(out, func(a, b Alarm) int { return strings.Compare(a.LogicalID, b.LogicalID) })
	return out, nil
}

func stackAlarms(s *samstack.Stack) ([]Alarm, error) {
	var out []Alarm
	for _, id := range slices.Sorted(maps.Keys(s.Resources)) {
		r := s.Resources[id]
		if r.Type != "AWS::CloudWatch::Alarm" || !s.Has(id) {
			continue
		}
		a := Alarm{LogicalID: id, Breaches: func(v float64) bool { return v > 0 }}
		if _, ok := r.Properties["MetricName"]; ok {
			m, err := metric(s, r.Properties)
			if err != nil {
				return nil, fmt.Errorf("alarm %s: %w", id, err)
			}
			a.Metrics = append(a.Metrics, m)
			if a.Breaches, err = breaches(s, r.Properties); err != nil {
				return nil, fmt.Errorf("alarm %s: %w", id, err)
			}
		}
		queries, _ := r.Properties["Metrics"].([]any)
		for _, q := range queries {
			stat, _ := q.(map[string]any)["MetricStat"].(map[string]any)
			if stat == nil { // an expression over the others
				continue
			}
			props, _ := stat["Metric"].(map[string]any)
			props = maps.Clone(props)
			if u, ok := stat["Unit"]; ok {
				props["Unit"] = u
			}
			m, err := metric(s, props)
			if err != nil {
				return nil, fmt.Errorf("alarm %s: %w", id, err)
			}
			a.Metrics = append(a.Metrics, m)
		}
		if len(a.Metrics) == 0 {
			return nil, fmt.Errorf("alarm %s watches no metric", id)
		}
		out = append(out, a)
	}
	return out, nil
}

// metric reads Namespace, MetricName, Dimensions and Unit.
func metric(s *samstack.Stack, props map[string]any) (Metric, error) {
	resolved, err := s.Resolve(props)
	if err != nil {
		return Metric{}, err
	}
	var m struct {
		Namespace, MetricName, Unit string
		Dimensions                  []struct{ Name, Value string }
	}
	b, _ := json.Marshal(resolved)
	if err := json.Unmarshal(b, &m); err != nil {
		return Metric{}, err
	}
	out := Metric{Namespace: m.Namespace, Name: m.MetricName, Unit: m.Unit, Dimensions: map[string]string{}, Names: map[string]string{}}
	for _, d := range m.Dimensions {
		out.Dimensions[d.Name] = d.Value
	}
	raw, _ := props["Dimensions"].([]any)
	for _, d := range raw {
		dim, _ := d.(map[string]any)
		name, _ := dim["Name"].(string)
		if _, origin := s.Origin(dim["Value"]); refersTo(origin) != "" {
			out.Names[name] = refersTo(origin)
		}
	}
	return out, nil
}

// refersTo returns the logical id a Ref or Fn::GetAtt names.
func refersTo(v any) string {
	m, _ := v.(map[string]any)
	if ref, ok := m["Ref"].(string); ok {
		return ref
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
		id, _ := ga[0].(string)
		return id
	}
	return ""
}

// MetricFilter is an AWS::Logs::MetricFilter of the stack.
type MetricFilter struct {
	LogicalID string
	LogGroup  string // resolved name
	Pattern   *Pattern
	Metrics   []Transformation
}

// Transformation is what a filter publishes for each matching line.
type Transformation struct {
	Namespace, Name, Unit string
	Value                 string            // "1", or a selector ($.n) of the line
	Dimensions            map[string]string // name → selector
}

// MetricFilters returns the metric filters of the stack and those it
// nests, sorted by logical id.
func MetricFilters(root *samstack.Stack) ([]MetricFilter, error) {
	var out []MetricFilter
	for _, s := range root.Stacks() {
		filters, err := stackMetricFilters(s)
		if err != nil {
			return nil, err
		}
		out = append(out, filters...)
	}
	slices.SortFunc(out, func(a, b MetricFilter) int { return strings.Compare(a.LogicalID, b.LogicalID) })
	return out, nil
}

func stackMetricFilters(s *samstack.Stack) ([]MetricFilter, error) {
	var out []MetricFilter
	for _, id := range slices.Sorted(maps.Keys(s.Resources)) {
		r := s.Resources[id]
		if r.Type != "AWS::Logs::MetricFilter" || !s.Has(id) {
			continue
		}
		resolved, err := s.Resolve(r.Properties)
		if err != nil {
			return nil, fmt.Errorf("metric filter %s: %w", id, err)
		}
		var p struct {
			LogGroupName, FilterPattern string
			MetricTransformations       []struct {
				MetricNamespace, MetricName, MetricValue, Unit string
				Dimensions                                     []struct{ Key, Value string }
			}
		}
		b, _ := json.Marshal(resolved)
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("metric filter %s: %w", id, err)
		}
		pattern, err := ParsePattern(p.FilterPattern)
		if err != nil {
			return nil, fmt.Errorf("metric filter %s: %w", id, err)
		}
		f := MetricFilter{LogicalID: id, LogGroup: p.LogGroupName, Pattern: pattern}
		for _, t := range p.MetricTransformations {
			tr := Transformation{Namespace: t.MetricNamespace, Name: t.MetricName, Unit: t.Unit, Value: t.MetricValue, Dimensions: map[string]string{}}
			if tr.Unit == "" {
				tr.Unit = "None"
			}
			for _, d := range t.Dimensions {
				tr.Dimensions[d.Key] = d.Value
			}
			f.Metrics = append(f.Metrics, tr)
		}
		out = append(out, f)
	}
	return out, nil
}

// Publish returns the data the filter publishes for one line of its log
// group.
func (f MetricFilter) Publish(line map[string]any) []Datum {
	if line == nil || !f.Pattern.Match(line) {
		return nil
	}
	var out []Datum
	for _, t := range f.Metrics {
		value, ok := selectNumber(line, t.Value)
		if !ok {
			continue
		}
		d := Datum{Namespace: t.Namespace, Name: t.Name, Unit: t.Unit, Dimensions: map[string]string{}, Values: []float64{value}}
		for k, sel := range t.Dimensions {
			v, ok := selectValue(line, sel)
			if !ok {
				d.Dimensions = nil
				break
			}
			d.Dimensions[k] = v
		}
		if d.Dimensions != nil {
			out = append(out, d)
		}
	}
	return out
}

func selectValue(line map[string]any, sel string) (string, bool) {
	if !strings.HasPrefix(sel, "$.") {
		return sel, true
	}
	c, err := ParsePattern("{ " + sel + " NOT EXISTS }")
	if err != nil {
		return "", false
	}
	v, ok := lookup(line, c.Comparisons()[0].path)
	if !ok {
		return "", false
	}
	switch v := v.(type) {
	case string:
		return v, true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	}
	return "", false
}

func selectNumber(line map[string]any, sel string) (float64, bool) {
	s, ok := selectValue(line, sel)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// Finding is what the runs showed about one metric of one alarm.
type Finding struct {
	Alarm  string
	Metric Metric
	// By says what publishes the metric: a line and what read it, or, for
	// an AWS namespace, the resource of the stack AWS publishes it for.
	By string
	// Err says why nothing does; nil when something does.
	Err error
}

// Trace shows, for every metric of every alarm, what publishes it: for a
// custom namespace, an EMF line or a metric filter matching a line among
// logs (log group name → the lines written to it); for an AWS namespace,
// a resource of the stack of the kind AWS publishes that metric for, with
// a metric name, dimensions and unit AWS uses.
func Trace(s *samstack.Stack, logs map[string][]string) ([]Finding, error) {
	alarms, err := Alarms(s)
	if err != nil {
		return nil, err
	}
	filters, err := MetricFilters(s)
	if err != nil {
		return nil, err
	}
	data := publishedBy(filters, logs)
	var out []Finding
	for _, a := range alarms {
		for _, m := range a.Metrics {
			f := Finding{Alarm: a.LogicalID, Metric: m}
			if !m.Custom() {
				f.By, f.Err = awsPublishes(s, m)
				out = append(out, f)
				continue
			}
			var near []string
			quiet := ""
			for _, d := range data {
				if d.Namespace != m.Namespace || d.Name != m.Name {
					continue
				}
				if !maps.Equal(d.Dimensions, m.Dimensions) || (m.Unit != "" && m.Unit != d.Unit) {
					near = append(near, fmt.Sprintf("%s, from %s", d.Datum, d.by))
					continue
				}
				if slices.ContainsFunc(d.Values, a.Breaches) {
					f.By = d.by
					break
				}
				quiet = d.by
			}
			switch {
			case f.By != "":
			case quiet != "":
				f.Err = fmt.Errorf("%s is published, but no run provoked what the alarm fires on: every value was below its threshold, as in %s", m, quiet)
			default:
				f.Err = unpublished(m, filters, logs, near)
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// published is a datum the lines publish, with what published it.
type published struct {
	Datum
	by string
}

// publishedBy returns every datum the lines of logs publish: by EMF, or
// through a metric filter on their log group.
func publishedBy(filters []MetricFilter, logs map[string][]string) []published {
	var data []published
	for _, group := range slices.Sorted(maps.Keys(logs)) {
		for _, text := range logs[group] {
			line := decode(text)
			if line == nil {
				continue
			}
			emf, _ := EMF(line) // an invalid EMF line publishes nothing (CheckEMF reports it)
			for _, d := range emf {
				data = append(data, published{d, fmt.Sprintf("an EMF line in log group %s: %s", group, text)})
			}
			for _, f := range filters {
				if f.LogGroup != group {
					continue
				}
				for _, d := range f.Publish(line) {
					data = append(data, published{d, fmt.Sprintf("metric filter %s (%s) on log group %s, matching: %s", f.LogicalID, f.Pattern.Text, group, text)})
				}
			}
		}
	}
	return data
}

func decode(text string) map[string]any {
	var m map[string]any
	if json.Unmarshal([]byte(text), &m) != nil {
		return nil
	}
	return m
}

// unpublished explains why no line published m: the data of that name
// with other dimensions or unit, and the filters that declare it with
// what their patterns compare against what the lines hold.
func unpublished(m Metric, filters []MetricFilter, logs map[string][]string, near []string) error {
	var why []string
	slices.Sort(near)
	near = slices.Compact(near)
	for _, n := range near[:min(len(near), 3)] {
		why = append(why, "published with other dimensions or unit: "+n)
	}
	declared := false
	for _, f := range filters {
		if !slices.ContainsFunc(f.Metrics, func(t Transformation) bool { return t.Namespace == m.Namespace && t.Name == m.Name }) {
			continue
		}
		declared = true
		lines := logs[f.LogGroup]
		if len(lines) == 0 {
			why = append(why, fmt.Sprintf("metric filter %s: no run wrote to its log group %s", f.LogicalID, f.LogGroup))
			continue
		}
		why = append(why, fmt.Sprintf("metric filter %s (%s) matched none of the %d lines of log group %s", f.LogicalID, f.Pattern.Text, len(lines), f.LogGroup))
		why = append(why, misplaced(f.Pattern, lines)...)
	}
	if !declared && len(near) == 0 {
		why = append(why, "no EMF line and no metric filter of the stack publishes it")
	}
	return fmt.Errorf("no run published %s:\n  %s", m, strings.Join(why, "\n  "))
}

// misplaced finds the values a pattern's comparisons look for under the
// wrong field: a filter that reads $.msg where the logger writes message.
func misplaced(p *Pattern, lines []string) []string {
	var out []string
	for _, c := range p.Comparisons() {
		if c.number || (c.Op != "=") {
			continue
		}
		for _, text := range lines {
			line := decode(text)
			for k, v := range line {
				if s, ok := v.(string); ok && glob(c.Value, s) && "$."+k != c.Selector {
					out = append(out, fmt.Sprintf("  %s = %q is what a line holds under $.%s, not %s: %s", c.Selector, c.Value, k, c.Selector, text))
					break
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
