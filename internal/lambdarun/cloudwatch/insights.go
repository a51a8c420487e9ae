package cloudwatch

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Runbook is an alarm's section of the operations guide: its heading, and
// the Logs Insights query it gives with the log groups it names.
type Runbook struct {
	Heading   string
	Body      string
	LogGroups []string // as written: /aws/lambda/<stack>/authorizer
	Query     string   // "" when the section has none
}

var (
	runbookQuery = regexp.MustCompile("Logs Insights query on ((?:`[^`]+`(?:, )?)+)(?s:.*?)```\n((?s:.*?))```")
	quoted       = regexp.MustCompile("`([^`]+)`")
)

// Runbooks reads the "### " sections of a Markdown guide, each up to the
// next heading of level 2 or 3.
func Runbooks(markdown string) []Runbook {
	var out []Runbook
	for _, part := range strings.Split(markdown, "\n### ")[1:] {
		heading, body, _ := strings.Cut(part, "\n")
		if i := strings.Index(body, "\n## "); i >= 0 {
			body = body[:i]
		}
		r := Runbook{Heading: heading, Body: body}
		if m := runbookQuery.FindStringSubmatch(body); m != nil {
			for _, g := range quoted.FindAllStringSubmatch(m[1], -1) {
				r.LogGroups = append(r.LogGroups, g[1])
			}
			r.Query = m[2]
		}
		out = append(out, r)
	}
	return out
}

var (
	insightsLiteral = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|/(?:[^/\\]|\\.)+/|\b\d+(?:\.\d+)?[a-z]?\b`)
	insightsIdent   = regexp.MustCompile(`@?[A-Za-z_][A-Za-z0-9_.]*`)
	insightsAlias   = regexp.MustCompile(`\bas\s+([A-Za-z_][A-Za-z0-9_]*)`)
	messageFilter   = regexp.MustCompile(`\bmessage\s*(=|like)\s*("(?:[^"\\]|\\.)*"|/(?:[^/\\]|\\.)+/)`)
	// What Logs Insights' query language names itself: commands,
	// operators and functions, not fields.
	insightsWords = []string{"fields", "filter", "stats", "sort", "limit", "display", "parse", "dedup", "by", "as",
		"and", "or", "not", "like", "in", "desc", "asc", "count", "count_distinct", "avg", "sum", "min", "max", "pct",
		"bin", "earliest", "latest", "ispresent", "isempty", "strlen", "toupper", "tolower"}
)

// QueryFields returns the log fields a Logs Insights query reads: every
// name it uses but its commands, functions, aliases, literals and the
// fields Logs Insights adds itself (@timestamp, @log, @message, ...).
func QueryFields(query string) []string {
	aliases := map[string]bool{}
	for _, m := range insightsAlias.FindAllStringSubmatch(query, -1) {
		aliases[m[1]] = true
	}
	var out []string
	for _, id := range insightsIdent.FindAllString(insightsLiteral.ReplaceAllString(query, " "), -1) {
		if strings.HasPrefix(id, "@") || aliases[id] || slices.Contains(insightsWords, strings.ToLower(id)) {
			continue
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// CheckQuery reports whether a query reads what the lines hold: every
// field it reads is a top-level field of some line, and each message it
// filters on (message = "..." or message like /.../) is the message of
// some line. lines are the JSON lines of the log groups it queries, as
// the functions wrote them.
func CheckQuery(query string, lines []map[string]any) error {
	var errs []string
	for _, f := range QueryFields(query) {
		if !slices.ContainsFunc(lines, func(l map[string]any) bool { _, ok := l[f]; return ok }) {
			errs = append(errs, fmt.Sprintf("no line has the field %s", f))
		}
	}
	for _, m := range messageFilter.FindAllStringSubmatch(query, -1) {
		match := func(msg string) bool { return msg == strings.Trim(m[2], `"`) }
		if m[1] == "like" {
			pattern := m[2]
			if strings.HasPrefix(pattern, "/") {
				pattern = strings.Trim(pattern, "/")
			} else {
				pattern = regexp.QuoteMeta(strings.Trim(pattern, `"`))
			}
			re, err := regexp.Compile(pattern)
			if err != nil {
				errs = append(errs, fmt.Sprintf("message like %s: %v", m[2], err))
				continue
			}
			match = re.MatchString
		}
		if !slices.ContainsFunc(lines, func(l map[string]any) bool { s, _ := l["message"].(string); return match(s) }) {
			errs = append(errs, fmt.Sprintf("no line's message matches message %s %s", m[1], m[2]))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}
