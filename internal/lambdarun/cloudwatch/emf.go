package cloudwatch

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Datum is a metric value a log line publishes: one metric of one
// dimension set.
type Datum struct {
	Namespace, Name string
	Unit            string // "None" when the line gives none
	Dimensions      map[string]string
	Values          []float64
}

func (d Datum) String() string {
	return fmt.Sprintf("%s %s%s (%s) = %v", d.Namespace, d.Name, dims(d.Dimensions), d.Unit, d.Values)
}

func dims(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// units are the units CloudWatch accepts.
var units = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
	"Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
	"Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
	"Gigabits/Second", "Terabits/Second", "Count/Second", "None"}

// EMF returns the metrics a log line in Embedded Metric Format publishes:
// none for a line without the _aws member, an error for one CloudWatch
// would not turn into metrics (the specification's rules: a timestamp,
// a namespace, dimension keys naming string members, metric names naming
// numbers or arrays of at most 100 numbers, known units).
func EMF(line map[string]any) ([]Datum, error) {
	raw, ok := line["_aws"]
	if !ok {
		return nil, nil
	}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	aws, ok := raw.(map[string]any)
	if !ok {
		return nil, errors.New("EMF: _aws is not an object")
	}
	if _, ok := aws["Timestamp"].(float64); !ok {
		fail("EMF: _aws.Timestamp is not a number of milliseconds")
	}
	directives, ok := aws["CloudWatchMetrics"].([]any)
	if !ok || len(directives) == 0 {
		return nil, errors.Join(append(errs, errors.New("EMF: _aws.CloudWatchMetrics is not a non-empty array"))...)
	}
	var out []Datum
	for i, d := range directives {
		dir, _ := d.(map[string]any)
		ns, _ := dir["Namespace"].(string)
		if ns == "" || len(ns) > 255 {
			fail("EMF: CloudWatchMetrics[%d].Namespace is not a name of 1 to 255 characters", i)
		}
		sets, ok := dir["Dimensions"].([]any)
		if !ok {
			fail("EMF: CloudWatchMetrics[%d].Dimensions is not an array of dimension sets", i)
		}
		var dimSets []map[string]string
		for j, set := range sets {
			keys, ok := set.([]any)
			if !ok || len(keys) > 30 {
				fail("EMF: CloudWatchMetrics[%d].Dimensions[%d] is not an array of at most 30 keys", i, j)
				continue
			}
			values := map[string]string{}
			for _, k := range keys {
				name, _ := k.(string)
				v, ok := line[name].(string)
				if !ok {
					fail("EMF: dimension %q has no string member in the line", name)
				}
				values[name] = v
			}
			dimSets = append(dimSets, values)
		}
		if len(sets) == 0 { // no dimension sets: one metric without dimensions
			dimSets = []map[string]string{{}}
		}
		metrics, ok := dir["Metrics"].([]any)
		if !ok || len(metrics) == 0 {
			fail("EMF: CloudWatchMetrics[%d].Metrics is not a non-empty array", i)
		}
		for _, m := range metrics {
			def, _ := m.(map[string]any)
			name, _ := def["Name"].(string)
			unit, _ := def["Unit"].(string)
			if unit == "" {
				unit = "None"
			}
			if name == "" {
				fail("EMF: a metric of CloudWatchMetrics[%d] has no Name", i)
				continue
			}
			if !slices.Contains(units, unit) {
				fail("EMF: metric %s has the unit %q, which CloudWatch does not know", name, unit)
			}
			values, err := numbers(line[name])
			if err != nil {
				fail("EMF: metric %s: %v", name, err)
				continue
			}
			for _, set := range dimSets {
				out = append(out, Datum{Namespace: ns, Name: name, Unit: unit, Dimensions: set, Values: values})
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func numbers(v any) ([]float64, error) {
	switch v := v.(type) {
	case float64:
		return []float64{v}, nil
	case []any:
		if len(v) == 0 || len(v) > 100 {
			return nil, fmt.Errorf("%d values, want 1 to 100", len(v))
		}
		out := make([]float64, 0, len(v))
		for _, e := range v {
			f, ok := e.(float64)
			if !ok {
				return nil, fmt.Errorf("a value %v is not a number", e)
			}
			out = append(out, f)
		}
		return out, nil
	case nil:
		return nil, errors.New("no member of that name in the line")
	}
	return nil, fmt.Errorf("the member is %T, not a number", v)
}
