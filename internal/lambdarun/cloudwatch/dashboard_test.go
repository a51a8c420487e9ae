package cloudwatch_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/lambdarun/cloudwatch"
)

// withDashboard adds a dashboard whose one widget draws rows, and a table
// with an index byOwner.
func withDashboard(rows ...string) func(map[string]any) {
	return func(resources map[string]any) {
		body := `{"widgets":[{"type":"metric","properties":{"title":"Held","stat":"Sum","metrics":[` + strings.Join(rows, ",") + `]}},` +
			`{"type":"log","properties":{"title":"Runs","query":"SOURCE '/aws/lambda/job' | filter message = \"job run\""}}]}`
		resources["Dashboard"] = map[string]any{"Type": "AWS::CloudWatch::Dashboard", "Properties": map[string]any{
			"DashboardBody": map[string]any{"Fn::Sub": []any{body, map[string]any{"Fn": map[string]any{"Ref": "JobFunction"}}}},
		}}
		resources["Table"] = map[string]any{"Type": "AWS::DynamoDB::Table", "Properties": map[string]any{
			"GlobalSecondaryIndexes": []any{map[string]any{"IndexName": "byOwner"}},
		}}
	}
}

// A widget's metric must be one a run published (custom namespaces, by
// exact dimensions or, for a SEARCH, by dimension names) or one AWS
// publishes for a resource of the stack; an index dimension names an
// index of the table.
func TestTraceDashboards(t *testing.T) {
	for _, tc := range []struct {
		name, row, want string
	}{
		{"published", `["App/Job","Held","Kind","deletion"]`, "ok"},
		{"other dimension value", `["App/Job","Held","Kind","expiry"]`, "no run published"},
		{"never published", `["App/Job","Kept"]`, "no run published"},
		{"search by dimension names", `[{"expression":"SEARCH('{App/Job,Kind} MetricName=\"Held\"', 'Sum', 60)","id":"s"}]`, "ok"},
		{"search by other dimension names", `[{"expression":"SEARCH('{App/Job,Cause} MetricName=\"Held\"', 'Sum', 60)","id":"s"}]`, "no run published"},
		{"AWS metric of a function", `["AWS/Lambda","Errors","FunctionName","${Fn}"]`, "ok"},
		{"AWS metric AWS does not publish", `["AWS/Lambda","Failures","FunctionName","${Fn}"]`, "publishes no metric"},
		{"AWS metric of no resource", `["AWS/Lambda","Errors","FunctionName","elsewhere"]`, "does not name a resource"},
		{"index of the table", `["AWS/DynamoDB","ReadThrottleEvents","TableName","Table","GlobalSecondaryIndexName","byOwner"]`, "ok"},
		{"index the table lacks", `["AWS/DynamoDB","ReadThrottleEvents","TableName","Table","GlobalSecondaryIndexName","byDue"]`, "has no index byDue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := stack(t, withDashboard(tc.row))
			findings, err := cloudwatch.TraceDashboards(s, map[string][]string{"/aws/lambda/job": {heldLine}})
			if err != nil {
				t.Fatal(err)
			}
			if len(findings) != 1 {
				t.Fatalf("%d findings, want 1: %v", len(findings), findings)
			}
			got := "ok"
			if findings[0].Err != nil {
				got = findings[0].Err.Error()
			}
			if tc.want == "ok" && got != "ok" || tc.want != "ok" && !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	widgets, err := cloudwatch.Dashboards(stack(t, withDashboard(`["App/Job","Held","Kind","deletion",{"stat":"p99","label":"held"}]`)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal([]any{widgets[0].Title, widgets[0].Metrics[0].Stat, widgets[0].Metrics[0].Label, widgets[1].Type, widgets[1].Sources})
	if string(b) != `["Held","p99","held","log",["/aws/lambda/job"]]` {
		t.Errorf("widgets read as %s", b)
	}
}
