package cloudwatch_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/lambdarun/cloudwatch"
)

func TestQueryFields(t *testing.T) {
	for query, want := range map[string][]string{
		"fields @timestamp, level, message, error\n| filter level = \"ERROR\"\n| sort @timestamp desc\n| limit 50":                  {"level", "message", "error"},
		"fields Latency\n| filter message = \"authorization\"\n| stats count(*) as decisions, pct(Latency, 99) as p99Ms by bin(1m)": {"Latency", "message"},
		"filter error like /Throttl|Provisioned/ and MailRejected = 1 | stats count(*) as n by Cause":                               {"error", "MailRejected", "Cause"},
	} {
		if got := cloudwatch.QueryFields(query); !slices.Equal(got, want) {
			t.Errorf("QueryFields(%q) = %v, want %v", query, got, want)
		}
	}
}

// A query works on the lines the functions write: Lambda's JSON format
// names the message "message" (slog's own handler says "msg"), and a
// filter on a message matches one that is logged.
func TestCheckQuery(t *testing.T) {
	var line map[string]any
	if err := json.Unmarshal([]byte(`{"timestamp":"2026-01-01T00:00:00Z","level":"ERROR","message":"authorization","Decision":"error","error":"get: ThrottlingException"}`), &line); err != nil {
		t.Fatal(err)
	}
	lines := []map[string]any{line}
	for query, want := range map[string]string{
		`fields @timestamp, error | filter message = "authorization" and Decision = "error"`: "",
		`filter error like /Throttl/ | filter message like /authoriz/`:                       "",
		`fields msg | filter level = "ERROR"`:                                                "no line has the field msg",
		`filter message = "authorized"`:                                                      `no line's message matches message = "authorized"`,
		`filter decision = "error"`:                                                          "no line has the field decision",
	} {
		err := cloudwatch.CheckQuery(query, lines)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("CheckQuery(%q) = %v, want %q", query, err, want)
		}
	}
}

func TestRunbooks(t *testing.T) {
	md := "# Ops\n\n### `a-alarm`\n\nMeans.\n\n**Look first:** the widget \"W\", then this Logs Insights query on `/aws/lambda/<stack>/x`, `/aws/lambda/<stack>/y`:\n\n```\nfields message\n```\n\n### `b-alarm`\n\nNo query.\n\n## Logs\n"
	books := cloudwatch.Runbooks(md)
	if len(books) != 2 || books[0].Heading != "`a-alarm`" || !slices.Equal(books[0].LogGroups, []string{"/aws/lambda/<stack>/x", "/aws/lambda/<stack>/y"}) ||
		books[0].Query != "fields message\n" || books[1].Query != "" || strings.Contains(books[1].Body, "Logs") {
		t.Errorf("Runbooks read %+v", books)
	}
}
