package pat_test

import (
	"strings"
	"testing"
)

// Each audit action's constant is named after the value it stores:
// Action, then the value in CamelCase without a token's "token."
// ("token.updated": ActionUpdated; "user.email_changed":
// ActionUserEmailChanged).
func TestActionsAreNamedAfterTheirValues(t *testing.T) {
	seen := 0
	for _, c := range stringConsts(t, "pat.go") {
		if !strings.HasPrefix(c.name, "Action") {
			continue
		}
		seen++
		if want := "Action" + camel(strings.TrimPrefix(c.value, "token.")); c.name != want {
			t.Errorf("%s = %q: want the name %s", c.name, c.value, want)
		}
	}
	if seen == 0 {
		t.Fatal("no Action constants in pat.go")
	}
}

// camel is "user.email_changed" as UserEmailChanged.
func camel(s string) string {
	var b strings.Builder
	for _, word := range strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '_' }) {
		b.WriteString(strings.ToUpper(word[:1]) + word[1:])
	}
	return b.String()
}
