package stackcheck_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/patservice/pat/internal/samstack"
)

// The authorizer publishes a version on any change of its properties
// (AutoPublishAliasAllProperties), and every version is a canary
// deployment: so its properties, as deployed, change with what it reads
// and nothing else. Each parameter of template.yaml is changed in turn;
// the authorizer's function must change for exactly these.
func TestAuthorizerChangesOnlyWithWhatItReads(t *testing.T) {
	want := []string{"AuditRetentionDays", "AuthorizerAllowLogSampleRate", "AuthorizerReservedConcurrency", "DecisionCacheSeconds",
		"LastUsedIntervalMinutes", "Realm", "TokenPrefix"}
	s := load(t, nil)
	base := authorizer(t, s)
	var changing []string
	for _, name := range slices.Sorted(maps.Keys(s.Parameters)) {
		params := map[string]string{name: other(s.Parameters[name])}
		if name == "CreateUserPool" {
			params = existingIssuer
		}
		if authorizer(t, load(t, params)) != base {
			changing = append(changing, name)
		}
	}
	if !slices.Equal(changing, want) {
		t.Errorf("the authorizer's function changes with %v, want %v: a change of any other parameter would start a canary deployment", changing, want)
	}
}

// authorizer is the authorizer's function as deployed, resolved.
func authorizer(t *testing.T, s *samstack.Stack) string {
	t.Helper()
	st, fn := resource(t, s, "AuthorizerFunction")
	b, err := json.Marshal(resolve(t, st, fn.Properties))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// other is a value of a parameter other than its default.
func other(p samstack.Parameter) string {
	def := fmt.Sprint(p.Default)
	for _, v := range p.AllowedValues {
		if fmt.Sprint(v) != def {
			return fmt.Sprint(v)
		}
	}
	if n, err := strconv.ParseFloat(def, 64); err == nil && p.Type == "Number" {
		return strconv.FormatFloat(n+1, 'f', -1, 64)
	}
	if p.Default == nil {
		return "other@example.com" // MailFrom
	}
	return def + "x"
}
