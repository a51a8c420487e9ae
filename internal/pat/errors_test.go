package pat_test

import (
	"slices"
	"testing"

	"github.com/patservice/pat/internal/pat"
)

// Codes lists exactly the Code constants errors.go declares, each once: the
// tables keyed by code are checked against it, so a code left out of it
// would escape them.
func TestCodesListsEveryCode(t *testing.T) {
	var declared []string
	for _, c := range stringConsts(t, "errors.go") {
		if c.typ == "Code" {
			declared = append(declared, c.value)
		}
	}
	var listed []string
	for _, c := range pat.Codes() {
		listed = append(listed, string(c))
	}
	slices.Sort(declared)
	slices.Sort(listed)
	if len(declared) == 0 || !slices.Equal(declared, listed) {
		t.Fatalf("errors.go declares %v, Codes lists %v", declared, listed)
	}
}
