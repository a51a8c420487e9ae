package cloudwatch_test

import (
	"strings"
	"testing"

	"github.com/patservice/pat/internal/lambdarun/cloudwatch"
)

// An EMF line publishes each metric once per dimension set, with its unit;
// a line CloudWatch would not turn into metrics is an error that says why.
func TestEMF(t *testing.T) {
	data, err := cloudwatch.EMF(line(t, `{"message":"authorization","Decision":"error","Reason":"database_error","Decisions":1,"Latency":[2.5,3],
		"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"PAT/Authorizer","Dimensions":[["Decision"],["Decision","Reason"]],
		"Metrics":[{"Name":"Decisions","Unit":"Count"},{"Name":"Latency","Unit":"Milliseconds"}]}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range data {
		got = append(got, d.String())
	}
	want := "PAT/Authorizer Decisions{Decision=error} (Count) = [1]|PAT/Authorizer Decisions{Decision=error,Reason=database_error} (Count) = [1]|" +
		"PAT/Authorizer Latency{Decision=error} (Milliseconds) = [2.5 3]|PAT/Authorizer Latency{Decision=error,Reason=database_error} (Milliseconds) = [2.5 3]"
	if strings.Join(got, "|") != want {
		t.Errorf("data:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.ReplaceAll(want, "|", "\n"))
	}

	if data, err := cloudwatch.EMF(line(t, `{"message":"no metrics here"}`)); data != nil || err != nil {
		t.Errorf("a plain line: %v, %v", data, err)
	}
	for _, tc := range []struct{ line, says string }{
		{`{"_aws":{"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"M"}]}]},"M":1}`, "Timestamp"},
		{`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Dimensions":[[]],"Metrics":[{"Name":"M"}]}]},"M":1}`, "Namespace"},
		{`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["D"]],"Metrics":[{"Name":"M"}]}]},"M":1}`, `dimension "D"`},
		{`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"M"}]}]},"M":"1"}`, "metric M"},
		{`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"M"}]}]}}`, "metric M"},
		{`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"M","Unit":"Counts"}]}]},"M":1}`, "unit"},
	} {
		if _, err := cloudwatch.EMF(line(t, tc.line)); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want an error about %s", tc.line, err, tc.says)
		}
	}
}
