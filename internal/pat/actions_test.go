package pat_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// Each audit action's constant is named after the value it stores:
// Action, then the value in CamelCase without a token's "token."
// ("token.updated": ActionUpdated; "user.email_changed":
// ActionUserEmailChanged).
func TestActionsAreNamedAfterTheirValues(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "pat.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Action") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					continue
				}
				value, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				seen++
				if want := "Action" + camel(strings.TrimPrefix(value, "token.")); name.Name != want {
					t.Errorf("%s = %q: want the name %s", name.Name, value, want)
				}
			}
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
