package httpapi

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/samstack"
)

// One name per operation (Route): each route's handler is named after its
// function's directory in CamelCase and calls the pat.Service method of
// that name.
func TestOneNamePerOperation(t *testing.T) {
	calls := serviceCalls(t)
	for _, r := range (&API{}).Routes() {
		want := strings.TrimSuffix(samstack.LogicalID(r.Function), "Function") // the Makefile's rule
		full := runtime.FuncForPC(reflect.ValueOf(r.Handler).Pointer()).Name()
		got := strings.TrimSuffix(full[strings.LastIndex(full, ".")+1:], "-fm")
		if got != want {
			t.Errorf("%s %s: function %s is served by %s, want %s", r.Method, r.Path, r.Function, got, want)
			continue
		}
		if r.Function == "problem-page" {
			continue // reads nothing but its own table
		}
		if !slices.Contains(calls[got], want) {
			t.Errorf("handler %s calls the service's %v, want %s", got, calls[got], want)
		}
	}
}

// serviceCalls is, for each method of *API in this package, the methods
// of a.svc it calls.
func serviceCalls(t *testing.T) map[string][]string {
	t.Helper()
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string][]string{}
	fset := token.NewFileSet()
	for _, file := range files {
		if !strings.HasSuffix(file.Name(), ".go") || strings.HasSuffix(file.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if inner, ok := sel.X.(*ast.SelectorExpr); ok && inner.Sel.Name == "svc" {
						calls[fn.Name.Name] = append(calls[fn.Name.Name], sel.Sel.Name)
					}
				}
				return true
			})
		}
	}
	return calls
}
