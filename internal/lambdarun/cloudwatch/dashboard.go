package cloudwatch

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/patservice/pat/internal/samstack"
)

// Widget is a widget of a CloudWatch dashboard of the stack, its body
// resolved for the local deployment.
type Widget struct {
	Dashboard string // the dashboard's logical id
	Type      string // metric, log, text, alarm
	Title     string
	// X, Y, Width, Height place it on the dashboard's grid of 24 columns.
	X, Y, Width, Height int
	// Metrics are the metrics a metric widget draws, with dimensions as
	// resolved; a SEARCH expression counts as a metric whose Dimensions
	// are the dimension names it searches, each mapped to "" (any value).
	Metrics []WidgetMetric
	// Query is a log widget's Logs Insights query; Sources the log
	// groups it reads (its SOURCE clauses).
	Query   string
	Sources []string
	// Properties are the widget's properties as written.
	Properties map[string]any
}

// WidgetMetric is one metric a widget draws.
type WidgetMetric struct {
	Metric
	Search bool              // from SEARCH('{Namespace,Dim,...} MetricName="Name"', ...)
	Stat   string            // the row's stat, else the widget's
	Label  string            // the row's label
	Hidden bool              // "visible": false (an input of an expression)
	ID     string            // the row's id, for expressions
	Raw    map[string]string // the row's dimensions as written, unresolved values are the same
}

var searchExpr = regexp.MustCompile(`SEARCH\('\{([^}]*)\}\s+MetricName="([^"]+)"'`)

// Dashboards returns the widgets of every AWS::CloudWatch::Dashboard of
// the stack and those it nests, in the order written.
func Dashboards(root *samstack.Stack) ([]Widget, error) {
	names, err := physicalNames(root)
	if err != nil {
		return nil, err
	}
	var out []Widget
	for _, s := range root.Stacks() {
		for _, id := range slices.Sorted(maps.Keys(s.Resources)) {
			r := s.Resources[id]
			if r.Type != "AWS::CloudWatch::Dashboard" || !s.Has(id) {
				continue
			}
			body, err := s.Resolve(r.Properties["DashboardBody"])
			if err != nil {
				return nil, fmt.Errorf("dashboard %s: %w", id, err)
			}
			text, ok := body.(string)
			if !ok {
				return nil, fmt.Errorf("dashboard %s: DashboardBody is %T, not a string", id, body)
			}
			var doc struct {
				Widgets []struct {
					Type                string `json:"type"`
					X, Y, Width, Height int
					Properties          map[string]any `json:"properties"`
				} `json:"widgets"`
			}
			if err := json.Unmarshal([]byte(text), &doc); err != nil {
				return nil, fmt.Errorf("dashboard %s: DashboardBody is not JSON: %w", id, err)
			}
			for i, w := range doc.Widgets {
				title, _ := w.Properties["title"].(string)
				widget := Widget{Dashboard: id, Type: w.Type, Title: title, X: w.X, Y: w.Y, Width: w.Width, Height: w.Height, Properties: w.Properties}
				switch w.Type {
				case "metric":
					rows, _ := w.Properties["metrics"].([]any)
					stat, _ := w.Properties["stat"].(string)
					for j, row := range rows {
						ms, err := widgetMetrics(row, stat, names)
						if err != nil {
							return nil, fmt.Errorf("dashboard %s, widget %d (%s), metric %d: %w", id, i, title, j, err)
						}
						widget.Metrics = append(widget.Metrics, ms...)
					}
				case "log":
					widget.Query, _ = w.Properties["query"].(string)
					for _, m := range regexp.MustCompile(`SOURCE '([^']+)'`).FindAllStringSubmatch(widget.Query, -1) {
						widget.Sources = append(widget.Sources, m[1])
					}
				}
				out = append(out, widget)
			}
		}
	}
	return out, nil
}

// widgetMetrics reads one row of a metric widget: [Namespace, Name,
// DimName, DimValue, ..., {options}], or [{"expression": ...}].
func widgetMetrics(row any, stat string, names map[string]string) ([]WidgetMetric, error) {
	cells, ok := row.([]any)
	if !ok || len(cells) == 0 {
		return nil, fmt.Errorf("not an array: %v", row)
	}
	var opts map[string]any
	if o, ok := cells[len(cells)-1].(map[string]any); ok {
		opts, cells = o, cells[:len(cells)-1]
	}
	if len(cells) == 0 {
		expr, _ := opts["expression"].(string)
		if expr == "" {
			return nil, fmt.Errorf("neither a metric nor an expression: %v", row)
		}
		var out []WidgetMetric
		for _, m := range searchExpr.FindAllStringSubmatch(expr, -1) {
			parts := strings.Split(m[1], ",")
			wm := WidgetMetric{Search: true, Metric: Metric{Namespace: parts[0], Name: m[2], Dimensions: map[string]string{}, Names: map[string]string{}}}
			for _, d := range parts[1:] {
				wm.Dimensions[strings.TrimSpace(d)] = ""
			}
			out = append(out, wm)
		}
		return out, nil
	}
	var strs []string
	for _, c := range cells {
		s, ok := c.(string)
		if !ok {
			return nil, fmt.Errorf("a cell %v is not a string", c)
		}
		strs = append(strs, s)
	}
	if len(strs) < 2 || len(strs)%2 != 0 {
		return nil, fmt.Errorf("want Namespace, MetricName and dimension name/value pairs: %v", strs)
	}
	wm := WidgetMetric{Metric: Metric{Namespace: strs[0], Name: strs[1], Dimensions: map[string]string{}, Names: map[string]string{}}, Stat: stat}
	for i := 2; i < len(strs); i += 2 {
		wm.Dimensions[strs[i]] = strs[i+1]
		if id, ok := names[strs[i+1]]; ok {
			wm.Names[strs[i]] = id
		}
	}
	if s, ok := opts["stat"].(string); ok {
		wm.Stat = s
	}
	wm.Label, _ = opts["label"].(string)
	wm.ID, _ = opts["id"].(string)
	if v, ok := opts["visible"].(bool); ok && !v {
		wm.Hidden = true
	}
	return []WidgetMetric{wm}, nil
}

// physicalNames maps the resolved name of each resource an AWS metric's
// dimension may name (a table, function, queue, API, configuration set)
// to its logical id: a dashboard's body holds names, not references.
func physicalNames(root *samstack.Stack) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range root.Stacks() {
		for id, r := range s.Resources {
			if !s.Has(id) {
				continue
			}
			var v any
			switch r.Type {
			case "AWS::SQS::Queue":
				v = map[string]any{"Fn::GetAtt": []any{id, "QueueName"}}
			case "AWS::DynamoDB::Table", "AWS::Lambda::Function", "AWS::ApiGatewayV2::Api", "AWS::SES::ConfigurationSet":
				v = map[string]any{"Ref": id}
			default:
				continue
			}
			name, err := s.Resolve(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", id, err)
			}
			if n, ok := name.(string); ok {
				out[n] = id
			}
		}
	}
	return out, nil
}

// TraceDashboards shows, for every metric of every dashboard widget, what
// publishes it, as Trace does for alarms: an EMF line or metric filter
// among logs for a custom namespace (a SEARCH: any line publishing that
// metric under those dimension names), a resource of the stack for an AWS
// namespace. A Finding's Alarm is the widget's title.
func TraceDashboards(s *samstack.Stack, logs map[string][]string) ([]Finding, error) {
	widgets, err := Dashboards(s)
	if err != nil {
		return nil, err
	}
	filters, err := MetricFilters(s)
	if err != nil {
		return nil, err
	}
	data := publishedBy(filters, logs)
	var out []Finding
	for _, w := range widgets {
		for _, m := range w.Metrics {
			f := Finding{Alarm: w.Title, Metric: m.Metric}
			if !m.Custom() {
				if m.Search {
					f.Err = fmt.Errorf("%s: a SEARCH over an AWS namespace is not checked: name the resources", m.Metric)
				} else {
					f.By, f.Err = awsPublishes(s, m.Metric)
				}
				out = append(out, f)
				continue
			}
			for _, d := range data {
				if d.Namespace != m.Namespace || d.Name != m.Name {
					continue
				}
				if m.Search && slices.Equal(slices.Sorted(maps.Keys(d.Dimensions)), slices.Sorted(maps.Keys(m.Dimensions))) ||
					!m.Search && maps.Equal(d.Dimensions, m.Dimensions) {
					f.By = d.by
					break
				}
			}
			if f.By == "" {
				f.Err = unpublished(m.Metric, filters, logs, nil)
			}
			out = append(out, f)
		}
	}
	return out, nil
}
