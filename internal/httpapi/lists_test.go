package httpapi_test

import (
	"slices"
	"strings"
	"testing"
)

// The own list filters by status and by a part of the name, without case;
// bad values are refused with 400.
func TestListTokensByStatusAndName(t *testing.T) {
	h := newHarness(t)
	create := func(name string) string {
		t.Helper()
		r := h.call(t, "create-token", alice, body(`{"name":"`+name+`","scopes":["crm:read"],"expiresInDays":30}`))
		if r.Status != 201 {
			t.Fatalf("create %s: %d %s", name, r.Status, r.Body)
		}
		return r.fields()["id"].(string)
	}
	ci, deploy, oldCI := create("CI build"), create("deploy"), create("old ci")
	if r := h.call(t, "revoke-token", alice, onToken(oldCI)); r.Status >= 300 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	for _, c := range []struct {
		query []string
		want  []string
	}{
		{nil, []string{oldCI, deploy, ci}},
		{[]string{"q", "cI"}, []string{oldCI, ci}},
		{[]string{"q", " ci ", "status", "active"}, []string{ci}},
		{[]string{"status", "revoked"}, []string{oldCI}},
		{[]string{"q", "nothing"}, nil},
	} {
		r := h.call(t, "list-tokens", alice, query(c.query...))
		if r.Status != 200 {
			t.Fatalf("list %v: %d %s", c.query, r.Status, r.Body)
		}
		var got []string
		for _, it := range r.fields()["items"].([]any) {
			got = append(got, it.(map[string]any)["id"].(string))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("list %v: %v, want %v", c.query, got, c.want)
		}
	}
	for _, bad := range [][]string{{"status", "gone"}, {"q", strings.Repeat("x", 101)}} {
		if r := h.call(t, "list-tokens", alice, query(bad...)); r.Status != 400 {
			t.Errorf("list %q: %d, want 400", bad[0], r.Status)
		}
	}
}
