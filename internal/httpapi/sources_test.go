package httpapi_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/localstack"
)

// allowedSources through the API: set at creation, shown in the list and
// the token, replaced and lifted by PATCH, kept by a rotation, set by an
// administrator for a user; a bad entry is a 400 that names it and
// changes nothing.
func TestAllowedSourcesThroughTheAPI(t *testing.T) {
	h := newHarness(t)
	created := h.call(t, "create-token", body(`{"name":"ci","scopes":["crm:read"],"allowedSources":["2001:DB8::/32","203.0.113.7"]}`))
	if created.Status != 201 {
		t.Fatalf("create: %d %s", created.Status, created.Body)
	}
	id := created.fields()["id"].(string)
	sources := func(r result) string {
		var out []string
		for _, s := range r.fields()["allowedSources"].([]any) {
			out = append(out, s.(string))
		}
		return strings.Join(out, " ")
	}
	if got := sources(created); got != "203.0.113.7/32 2001:db8::/32" {
		t.Fatalf("created with %q", got)
	}
	list := h.call(t, "list-tokens")
	if item := list.fields()["items"].([]any)[0].(map[string]any); !reflect.DeepEqual(item["allowedSources"], created.fields()["allowedSources"]) {
		t.Fatalf("the list shows %v", item["allowedSources"])
	}

	before := localstack.Dump(t, h.DB, h.Tables.Tokens)
	for _, tc := range []struct{ name, function, body, detail string }{
		{"host bits", "create-token", `{"name":"a","scopes":["crm:read"],"allowedSources":["10.0.0.0/8","10.0.0.1/8"]}`, "allowedSources[1]: has bits set beyond its /8: the range is 10.0.0.0/8"},
		{"not an address", "create-token", `{"name":"a","scopes":["crm:read"],"allowedSources":["localhost"]}`, "allowedSources[0]: not an IPv4 or IPv6 address"},
		{"too many", "create-token", `{"name":"a","scopes":["crm:read"],"allowedSources":["1.0.0.1","1.0.0.2","1.0.0.3","1.0.0.4","1.0.0.5","1.0.0.6","1.0.0.7","1.0.0.8","1.0.0.9","1.0.0.10","1.0.0.11","1.0.0.12","1.0.0.13","1.0.0.14","1.0.0.15","1.0.0.16","1.0.0.17"]}`, "at most 16"},
		{"not a list", "create-token", `{"name":"a","scopes":["crm:read"],"allowedSources":"10.0.0.0/8"}`, ""},
		{"update with a bad range", "update-token", `{"allowedSources":["192.0.2.0/24","::1/129"]}`, "allowedSources[1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edits := []edit{body(tc.body)}
			if tc.function == "update-token" {
				edits = append(edits, onToken(id))
			}
			r := h.call(t, tc.function, edits...)
			if detail, _ := r.fields()["detail"].(string); r.Status != 400 || r.code() != "invalid_request" || !strings.Contains(detail, tc.detail) {
				t.Fatalf("got %d %s, want 400 invalid_request saying %q", r.Status, r.Body, tc.detail)
			}
		})
	}
	if after := localstack.Dump(t, h.DB, h.Tables.Tokens); !reflect.DeepEqual(before, after) {
		t.Fatal("a refused request changed the tokens table")
	}

	updated := h.call(t, "update-token", onToken(id), body(`{"allowedSources":["192.0.2.0/24"]}`))
	if updated.Status != 200 || sources(updated) != "192.0.2.0/24" || updated.fields()["name"] != "ci" {
		t.Fatalf("update: %d %s", updated.Status, updated.Body)
	}
	rotated := h.call(t, "rotate-token", onToken(id))
	if rotated.Status != 201 || sources(rotated) != "192.0.2.0/24" {
		t.Fatalf("rotate: %d %s", rotated.Status, rotated.Body)
	}
	newID := rotated.fields()["id"].(string)
	lifted := h.call(t, "update-token", onToken(newID), body(`{"allowedSources":[]}`))
	if lifted.Status != 200 || sources(lifted) != "" {
		t.Fatalf("lift: %d %s", lifted.Status, lifted.Body)
	}
	if got := sources(h.call(t, "get-token", onToken(newID))); got != "" {
		t.Fatalf("after lifting the limit the token has %q", got)
	}
}
