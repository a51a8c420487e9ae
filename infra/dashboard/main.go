// Command dashboard draws the stack's CloudWatch dashboard as an SVG
// picture (docs/screenshots/dashboard.svg), from the dashboard as
// template.yaml defines it and the log lines the functions wrote when
// internal/lambdarun ran them (PAT_RUN_LOGS): each widget where it sits on
// the dashboard, each custom metric with what the runs' EMF lines
// published for it (a SEARCH expanded to the dimension values seen), each
// AWS metric named (nothing publishes those locally), each log widget's
// query run over the lines of its log groups.
//
//	PAT_RUN_LOGS=/tmp/runlogs.json infra/stack.sh go test ./internal/lambdarun/
//	go run ./infra/dashboard -logs /tmp/runlogs.json -o docs/screenshots/dashboard.svg
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/patservice/pat/internal/lambdarun/cloudwatch"
	"github.com/patservice/pat/internal/samstack"
)

func main() {
	logs := flag.String("logs", "", "JSON object of log group → lines, as internal/lambdarun writes to PAT_RUN_LOGS")
	out := flag.String("o", "docs/screenshots/dashboard.svg", "SVG file to write")
	root := flag.String("root", ".", "the repository's root")
	flag.Parse()
	if err := run(*root, *logs, *out); err != nil {
		fmt.Fprintln(os.Stderr, "dashboard:", err)
		os.Exit(1)
	}
}

func run(root, logsPath, out string) error {
	if logsPath == "" {
		return fmt.Errorf("-logs is required")
	}
	raw, err := os.ReadFile(logsPath)
	if err != nil {
		return err
	}
	var byGroup map[string][]string
	if err := json.Unmarshal(raw, &byGroup); err != nil {
		return fmt.Errorf("%s: %w", logsPath, err)
	}
	// Resolved as internal/lambdarun resolves it: stack pat, its tables
	// tokens and audit.
	stack, err := samstack.Load(root, samstack.Local{
		Params: map[string]string{"MailFrom": "tokens@example.com"},
		Names:  map[string]string{"TokensTable": "tokens", "AuditTable": "audit"},
	})
	if err != nil {
		return err
	}
	widgets, err := cloudwatch.Dashboards(stack)
	if err != nil {
		return err
	}
	return os.WriteFile(out, []byte(draw(widgets, readLines(byGroup))), 0o644)
}

// line is a JSON log line and its log group.
type line struct {
	group  string
	fields map[string]any
}

func readLines(byGroup map[string][]string) []line {
	var out []line
	for _, g := range slices.Sorted(maps.Keys(byGroup)) {
		for _, text := range byGroup[g] {
			var m map[string]any
			if json.Unmarshal([]byte(text), &m) == nil {
				out = append(out, line{g, m})
			}
		}
	}
	return out
}

// series is one drawn row of a metric widget: a label and its value, or
// a note where there is no local value.
type series struct {
	label string
	value float64
	has   bool
	note  string
}

// rows computes what a metric widget shows from the runs' EMF data.
func rows(w cloudwatch.Widget, lines []line) []series {
	var data []cloudwatch.Datum
	for _, l := range lines {
		d, _ := cloudwatch.EMF(l.fields)
		data = append(data, d...)
	}
	var out []series
	for _, m := range w.Metrics {
		if m.Hidden {
			continue
		}
		if !m.Custom() {
			out = append(out, series{label: metricLabel(m), note: "AWS metric: no local data"})
			continue
		}
		if m.Search {
			// One series per dimension values seen, as SEARCH does.
			groups := map[string][]float64{}
			for _, d := range data {
				if d.Namespace == m.Namespace && d.Name == m.Name &&
					slices.Equal(slices.Sorted(maps.Keys(d.Dimensions)), slices.Sorted(maps.Keys(m.Dimensions))) {
					var parts []string
					for _, k := range slices.Sorted(maps.Keys(d.Dimensions)) {
						parts = append(parts, d.Dimensions[k])
					}
					key := strings.Join(parts, " ")
					groups[key] = append(groups[key], d.Values...)
				}
			}
			for _, k := range slices.Sorted(maps.Keys(groups)) {
				out = append(out, series{label: m.Name + " " + k, value: stat("Sum", groups[k]), has: true})
			}
			continue
		}
		var values []float64
		for _, d := range data {
			if d.Namespace == m.Namespace && d.Name == m.Name && maps.Equal(d.Dimensions, m.Dimensions) {
				values = append(values, d.Values...)
			}
		}
		s := series{label: metricLabel(m)}
		if len(values) > 0 {
			s.value, s.has = stat(m.Stat, values), true
		} else {
			s.note = "no value in the runs"
		}
		out = append(out, s)
	}
	return out
}

func metricLabel(m cloudwatch.WidgetMetric) string {
	if m.Label != "" {
		return m.Label
	}
	l := m.Namespace + " " + m.Name
	for _, k := range slices.Sorted(maps.Keys(m.Dimensions)) {
		l += " " + k + "=" + m.Dimensions[k]
	}
	return l
}

// stat is a CloudWatch statistic of values: Sum, Maximum, Minimum,
// Average, or a percentile pNN.
func stat(name string, values []float64) float64 {
	sorted := slices.Clone(values)
	sort.Float64s(sorted)
	switch {
	case name == "Maximum":
		return sorted[len(sorted)-1]
	case name == "Minimum":
		return sorted[0]
	case name == "Average":
		sum := 0.0
		for _, v := range sorted {
			sum += v
		}
		return sum / float64(len(sorted))
	case strings.HasPrefix(name, "p"):
		var p float64
		if _, err := fmt.Sscanf(name, "p%g", &p); err == nil {
			i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
			return sorted[max(0, min(i, len(sorted)-1))]
		}
	}
	sum := 0.0
	for _, v := range sorted {
		sum += v
	}
	return sum
}

var (
	equality   = regexp.MustCompile(`(\w+) = "([^"]*)"`)
	fieldsList = regexp.MustCompile(`fields ([^|]+)`)
	statsBy    = regexp.MustCompile(`stats count\(\*\) as (\w+) by ([^|]+)`)
)

// table runs a log widget's query, as far as these widgets need: its
// SOURCE log groups, its equality filters, then its fields or its counts.
func table(w cloudwatch.Widget, lines []line) (header []string, body [][]string) {
	var picked []line
	for _, l := range lines {
		if !slices.Contains(w.Sources, l.group) {
			continue
		}
		ok := true
		for _, f := range equality.FindAllStringSubmatch(w.Query, -1) {
			if fmt.Sprint(l.fields[f[1]]) != f[2] {
				ok = false
			}
		}
		if ok {
			picked = append(picked, l)
		}
	}
	value := func(l line, f string) string {
		if f == "@log" {
			return strings.TrimPrefix(l.group, "/aws/lambda/")
		}
		if f == "@timestamp" {
			f = "timestamp"
		}
		v, ok := l.fields[f]
		if !ok {
			return ""
		}
		return fmt.Sprint(v)
	}
	if m := statsBy.FindStringSubmatch(w.Query); m != nil {
		by := splitFields(m[2])
		counts := map[string]int{}
		keys := map[string][]string{}
		for _, l := range picked {
			var k []string
			for _, f := range by {
				k = append(k, value(l, f))
			}
			counts[strings.Join(k, "\x00")]++
			keys[strings.Join(k, "\x00")] = k
		}
		for _, k := range slices.Sorted(maps.Keys(counts)) {
			body = append(body, append(keys[k], fmt.Sprint(counts[k])))
		}
		return append(by, m[1]), body
	}
	if m := fieldsList.FindStringSubmatch(w.Query); m != nil {
		header = splitFields(m[1])
		for i := len(picked) - 1; i >= 0; i-- {
			var row []string
			for _, f := range header {
				row = append(row, value(picked[i], f))
			}
			body = append(body, row)
		}
	}
	return header, body
}

func splitFields(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(f))
	}
	return out
}

// Grid: the dashboard's 24 columns and rows of its units.
const (
	colW   = 40
	rowH   = 38
	pad    = 8
	font   = `font-family="Helvetica, Arial, sans-serif"`
	colors = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf"
)

func draw(widgets []cloudwatch.Widget, lines []line) string {
	height := 0
	for _, w := range widgets {
		height = max(height, (w.Y+w.Height)*rowH)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n", 24*colW, height, 24*colW, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#f2f3f3"/>`+"\n")
	palette := strings.Fields(colors)
	for _, w := range widgets {
		x, y, width, h := w.X*colW+pad/2, w.Y*rowH+pad/2, w.Width*colW-pad, w.Height*rowH-pad
		fmt.Fprintf(&b, `<g transform="translate(%d,%d)"><rect width="%d" height="%d" fill="#fff" stroke="#d5dbdb"/>`+"\n", x, y, width, h)
		switch w.Type {
		case "text":
			md, _ := w.Properties["markdown"].(string)
			for i, l := range strings.Split(md, "\n") {
				size, weight := 12, "normal"
				if strings.HasPrefix(l, "## ") {
					l, size, weight = strings.TrimPrefix(l, "## "), 16, "bold"
				}
				fmt.Fprintf(&b, `<text x="10" y="%d" font-size="%d" font-weight="%s" %s>%s</text>`+"\n", 22+i*20, size, weight, font, esc(l))
			}
		case "metric":
			fmt.Fprintf(&b, `<text x="10" y="20" font-size="13" font-weight="bold" %s>%s</text>`+"\n", font, esc(w.Title))
			stat, _ := w.Properties["stat"].(string)
			period, _ := w.Properties["period"].(float64)
			fmt.Fprintf(&b, `<text x="%d" y="20" font-size="10" fill="#687078" text-anchor="end" %s>%s, %gs</text>`+"\n", width-10, font, esc(stat), period)
			rs := rows(w, lines)
			top := 0.0
			for _, r := range rs {
				top = math.Max(top, r.value)
			}
			lineH := min(18, (h-34)/max(1, len(rs)))
			labelW := width * 45 / 100
			for i, r := range rs {
				ry := 34 + i*lineH
				fmt.Fprintf(&b, `<text x="10" y="%d" font-size="%d" %s>%s</text>`+"\n", ry+lineH-5, min(11, lineH-3), font, esc(clip(r.label, labelW/6)))
				if !r.has {
					fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="%d" fill="#879596" font-style="italic" %s>%s</text>`+"\n", labelW+10, ry+lineH-5, min(10, lineH-3), font, esc(r.note))
					continue
				}
				barW := width - labelW - 80
				bw := 1.0
				if top > 0 {
					bw = math.Max(1, r.value/top*float64(barW))
				}
				fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`, labelW+10, ry+3, bw, lineH-6, palette[i%len(palette)])
				fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="%d" %s>%s</text>`+"\n", float64(labelW+14)+bw, ry+lineH-5, min(11, lineH-3), font, format(r.value))
			}
		case "log":
			fmt.Fprintf(&b, `<text x="10" y="20" font-size="13" font-weight="bold" %s>%s</text>`+"\n", font, esc(w.Title))
			header, body := table(w, lines)
			colWidth := (width - 20) / max(1, len(header))
			for i, hd := range header {
				fmt.Fprintf(&b, `<text x="%d" y="40" font-size="10" font-weight="bold" fill="#545b64" %s>%s</text>`, 10+i*colWidth, font, esc(clip(hd, colWidth/6)))
			}
			b.WriteString("\n")
			for r, row := range body {
				if 58+r*16 > h-6 {
					break
				}
				for i, cell := range row {
					fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" %s>%s</text>`, 10+i*colWidth, 58+r*16, font, esc(clip(cell, colWidth/6)))
				}
				b.WriteString("\n")
			}
			if len(body) == 0 {
				fmt.Fprintf(&b, `<text x="10" y="58" font-size="10" fill="#879596" font-style="italic" %s>no line of the runs matches</text>`+"\n", font)
			}
		}
		b.WriteString("</g>\n")
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func format(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func clip(s string, n int) string {
	if n < 4 || len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func esc(s string) string { return html.EscapeString(s) }
