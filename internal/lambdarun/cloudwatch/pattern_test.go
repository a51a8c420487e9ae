package cloudwatch_test

import (
	"encoding/json"
	"testing"

	"github.com/patservice/pat/internal/lambdarun/cloudwatch"
)

func line(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Patterns are evaluated as CloudWatch Logs evaluates JSON filter
// patterns: a line the Lambda logger writes ("message") is not one a
// pattern on $.msg matches.
func TestPatternMatch(t *testing.T) {
	const logged = `{"level":"WARN","message":"reminder rejected by the mail service; not retried","userId":"u1","n":3,"ok":true,"gone":null,"tags":["a","b"],"req":{"path":"/api/crm/x"}}`
	for _, tc := range []struct {
		pattern string
		want    bool
	}{
		{`{ $.message = "reminder rejected by the mail service; not retried" }`, true},
		{`{ $.msg = "reminder rejected by the mail service; not retried" }`, false},
		{`{ $.msg = "x" || $.message = "reminder rejected*" }`, true},
		{`{ $.message = "*mail service*" && $.level = "WARN" }`, true},
		{`{ $.message = "*mail service*" && $.level = "ERROR" }`, false},
		{`{ ($.level = "ERROR" || $.level = "WARN") && $.n >= 3 }`, true},
		{`{ $.level = ERROR || $.level = WARN }`, true},
		{`{ $.level != "WARN" }`, false},
		{`{ $.level != "INFO" }`, true},
		{`{ $.absent != "INFO" }`, false},
		{`{ $.n > 3 }`, false},
		{`{ $.n = 3 }`, true},
		{`{ $.n != 3 }`, false},
		{`{ $.n < 3.5 }`, true},
		{`{ $.message > 3 }`, false},
		{`{ $.ok IS TRUE }`, true},
		{`{ $.ok IS FALSE }`, false},
		{`{ $.gone IS NULL }`, true},
		{`{ $.absent NOT EXISTS }`, true},
		{`{ $.gone NOT EXISTS }`, false},
		{`{ $.tags[1] = "b" }`, true},
		{`{ $.tags[2] = "b" }`, false},
		{`{ $.req.path = "/api/crm/*" }`, true},
		{`{ $.req.path = "/api/*/y" }`, false},
	} {
		p, err := cloudwatch.ParsePattern(tc.pattern)
		if err != nil {
			t.Errorf("%s: %v", tc.pattern, err)
			continue
		}
		if got := p.Match(line(t, logged)); got != tc.want {
			t.Errorf("%s matched %v, want %v", tc.pattern, got, tc.want)
		}
	}
}

// A pattern the checks cannot evaluate is refused, not taken as matching
// or not matching.
func TestPatternRefusesWhatItCannotEvaluate(t *testing.T) {
	for _, pattern := range []string{
		`ERROR`,                     // a term pattern
		`[ip, user, status = 5*]`,   // a space-delimited pattern
		`{ $.a = "x" `,              // unclosed
		`{ $.a < "x" }`,             // an ordering of strings
		`{ a = "x" }`,               // no selector
		`{ $.a = "x" } trailing`,    // text after the pattern
		`{ $.a = "x" | $.b = "y" }`, // not an operator
	} {
		if _, err := cloudwatch.ParsePattern(pattern); err == nil {
			t.Errorf("%s was accepted", pattern)
		}
	}
}
