package cloudwatch_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/lambdarun/cloudwatch"
	"github.com/patservice/pat/internal/samstack"
)

// stack is a transformed template with one function, its log group, a
// metric filter and alarms: on an EMF metric, on the filter's metric, and
// on AWS metrics. change edits the alarms or the filter before parsing.
func stack(t *testing.T, change func(resources map[string]any)) *samstack.Stack {
	t.Helper()
	resources := map[string]any{
		"JobFunction": map[string]any{"Type": "AWS::Lambda::Function", "Properties": map[string]any{}},
		"JobLogGroup": map[string]any{"Type": "AWS::Logs::LogGroup", "Properties": map[string]any{"LogGroupName": "/aws/lambda/job"}},
		"Queue":       map[string]any{"Type": "AWS::SQS::Queue", "Properties": map[string]any{}},
		"RefusedFilter": map[string]any{"Type": "AWS::Logs::MetricFilter", "Properties": map[string]any{
			"LogGroupName":          map[string]any{"Ref": "JobLogGroup"},
			"FilterPattern":         `{ $.message = "mail refused" }`,
			"MetricTransformations": []any{map[string]any{"MetricNamespace": "App/Mail", "MetricName": "Refused", "MetricValue": "1", "Unit": "Count"}},
		}},
		"HeldAlarm": map[string]any{"Type": "AWS::CloudWatch::Alarm", "Properties": map[string]any{
			"Namespace": "App/Job", "MetricName": "Held", "ComparisonOperator": "GreaterThanThreshold", "Threshold": 0,
			"Dimensions": []any{map[string]any{"Name": "Kind", "Value": "deletion"}},
		}},
		"MailAlarm": map[string]any{"Type": "AWS::CloudWatch::Alarm", "Properties": map[string]any{
			"ComparisonOperator": "GreaterThanThreshold", "Threshold": 0,
			"Metrics": []any{
				map[string]any{"Id": "refused", "MetricStat": map[string]any{"Metric": map[string]any{"Namespace": "App/Mail", "MetricName": "Refused"}, "Stat": "Sum"}},
				map[string]any{"Id": "sum", "Expression": "FILL(refused, 0)"},
			},
		}},
		"ErrorsAlarm": map[string]any{"Type": "AWS::CloudWatch::Alarm", "Properties": map[string]any{
			"Namespace": "AWS/Lambda", "MetricName": "Errors", "ComparisonOperator": "GreaterThanThreshold", "Threshold": 0,
			"Dimensions": []any{map[string]any{"Name": "FunctionName", "Value": map[string]any{"Ref": "JobFunction"}}},
		}},
	}
	if change != nil {
		change(resources)
	}
	b, err := json.Marshal(map[string]any{"Resources": resources})
	if err != nil {
		t.Fatal(err)
	}
	s, err := samstack.Parse(samstack.Templates{samstack.Root + ".json": b}, samstack.Local{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const (
	heldLine    = `{"message":"job run","Kind":"deletion","Held":1,"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"App/Job","Dimensions":[["Kind"]],"Metrics":[{"Name":"Held","Unit":"Count"}]}]}}`
	quietLine   = `{"message":"job run","Kind":"deletion","Held":0,"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"App/Job","Dimensions":[["Kind"]],"Metrics":[{"Name":"Held","Unit":"Count"}]}]}}`
	refusedLine = `{"level":"WARN","message":"mail refused","userId":"u1"}`
)

// trace returns each alarm's finding as "<alarm>: ok" or "<alarm>: <error>".
func trace(t *testing.T, s *samstack.Stack, lines ...string) map[string]string {
	t.Helper()
	findings, err := cloudwatch.Trace(s, map[string][]string{"/aws/lambda/job": lines})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range findings {
		if f.Err != nil {
			out[f.Alarm] = f.Err.Error()
		} else if _, failed := out[f.Alarm]; !failed {
			out[f.Alarm] = "ok"
		}
	}
	return out
}

func TestTrace(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(map[string]any)
		lines  []string
		alarm  string
		says   string // "ok", or what the failure says
	}{
		{"an EMF line publishes the metric", nil, []string{heldLine}, "HeldAlarm", "ok"},
		{"a metric filter matches a line", nil, []string{refusedLine}, "MailAlarm", "ok"},
		{"an AWS metric of a function of the stack", nil, nil, "ErrorsAlarm", "ok"},
		{"no line", nil, nil, "HeldAlarm", "no EMF line and no metric filter"},
		{"only values below the threshold", nil, []string{quietLine}, "HeldAlarm", "no run provoked"},
		{"the alarm's namespace changed", func(r map[string]any) { props(r, "HeldAlarm")["Namespace"] = "App/Jobs" }, []string{heldLine}, "HeldAlarm", "no EMF line"},
		{"other dimensions", func(r map[string]any) {
			props(r, "HeldAlarm")["Dimensions"] = []any{map[string]any{"Name": "Kind", "Value": "expiry"}}
		}, []string{heldLine}, "HeldAlarm", "published with other dimensions"},
		{"another unit", func(r map[string]any) { props(r, "HeldAlarm")["Unit"] = "Seconds" }, []string{heldLine}, "HeldAlarm", "other dimensions or unit"},
		{"a filter on $.msg, where the logger writes message", func(r map[string]any) {
			props(r, "RefusedFilter")["FilterPattern"] = `{ $.msg = "mail refused" }`
		}, []string{refusedLine}, "MailAlarm", `what a line holds under $.message, not $.msg`},
		{"a filter on another log group", func(r map[string]any) {
			r["OtherLogGroup"] = map[string]any{"Type": "AWS::Logs::LogGroup", "Properties": map[string]any{}}
			props(r, "RefusedFilter")["LogGroupName"] = map[string]any{"Ref": "OtherLogGroup"}
		}, []string{refusedLine}, "MailAlarm", "no run wrote to its log group OtherLogGroup"},
		{"an AWS metric AWS does not publish", func(r map[string]any) { props(r, "ErrorsAlarm")["MetricName"] = "Error" }, nil, "ErrorsAlarm", "AWS publishes no metric Error"},
		{"an AWS metric of something else", func(r map[string]any) {
			props(r, "ErrorsAlarm")["Dimensions"] = []any{map[string]any{"Name": "FunctionName", "Value": map[string]any{"Ref": "Queue"}}}
		}, nil, "ErrorsAlarm", "a AWS::SQS::Queue, not a AWS::Lambda::Function"},
		{"an AWS metric of no resource", func(r map[string]any) {
			props(r, "ErrorsAlarm")["Dimensions"] = []any{map[string]any{"Name": "FunctionName", "Value": "job"}}
		}, nil, "ErrorsAlarm", "does not name a resource of the stack"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := trace(t, stack(t, tc.change), tc.lines...)[tc.alarm]
			if tc.says == "ok" && got != "ok" || tc.says != "ok" && !strings.Contains(got, tc.says) {
				t.Errorf("%s: %s, want %s", tc.alarm, got, tc.says)
			}
		})
	}
}

func props(resources map[string]any, id string) map[string]any {
	return resources[id].(map[string]any)["Properties"].(map[string]any)
}
