package httpapi_test

import (
	"testing"
	"time"
)

// A rotation with an overlap leaves the old token replaced until the
// overlap's end, as openapi.yaml describes (every answer is validated
// against it); an overlap out of bounds, or of the wrong type, is a 400
// that changes nothing.
func TestRotateWithOverlap(t *testing.T) {
	h := newHarness(t)
	created := h.call(t, "create-token")
	id := created.fields()["id"].(string)

	for _, bad := range []string{`{"overlapSeconds":-1}`, `{"overlapSeconds":604801}`, `{"overlapSeconds":"PT1H"}`, `{"overlapSeconds":1e30}`, `{"overlap":60}`} {
		if r := h.call(t, "rotate-token", onToken(id), body(bad)); r.Status != 400 {
			t.Fatalf("rotate with %s: %d %s", bad, r.Status, r.Body)
		}
	}
	if st := h.call(t, "get-token", onToken(id)).fields()["status"]; st != "active" {
		t.Fatalf("refused rotations left the token %v", st)
	}

	before := time.Now().UTC().Truncate(time.Second)
	rotated := h.call(t, "rotate-token", onToken(id), body(`{"overlapSeconds":3600,"revokeReplacementOnReuse":true}`))
	if rotated.Status != 201 || rotated.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("rotate: %d %s", rotated.Status, rotated.Body)
	}
	old := h.call(t, "get-token", onToken(id)).fields()
	until, err := time.Parse(time.RFC3339, old["replacedUntil"].(string))
	if err != nil || old["status"] != "replaced" || old["replacedBy"] != rotated.fields()["id"] || until.Before(before.Add(time.Hour)) || until.After(time.Now().Add(time.Hour)) {
		t.Fatalf("old token in its overlap = %v", old)
	}
	// The list (read from the owner index) says the same.
	for _, it := range h.call(t, "list-tokens").fields()["items"].([]any) {
		if m := it.(map[string]any); m["id"] == id && (m["status"] != "replaced" || m["replacedUntil"] == nil) {
			t.Fatalf("the old token in the list = %v", m)
		}
	}
	if r := h.call(t, "rotate-token", onToken(id)); r.Status != 409 || r.code() != "token_not_active" {
		t.Fatalf("rotate a replaced token: %d %s", r.Status, r.Body)
	}
}
