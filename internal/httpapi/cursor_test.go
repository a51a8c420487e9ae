package httpapi_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// A list route with the edits that make one of its lists (caller, filter).
type listCall struct {
	function string
	edits    []edit
	query    []string // besides limit and cursor
}

// nextCursor calls the list with limit 1 and returns the nextCursor it
// gives, failing unless there is one.
func (h *harness) nextCursor(t *testing.T, c listCall) string {
	t.Helper()
	r := h.call(t, c.function, append(c.edits, query(append(c.query, "limit", "1")...))...)
	next, _ := r.fields()["nextCursor"].(string)
	if r.Status != 200 || next == "" {
		t.Fatalf("%s %v: %d, no nextCursor: %s", c.function, c.query, r.Status, r.Body)
	}
	return next
}

// Every list route refuses any cursor it did not issue to this caller for
// this filter with 400 invalid_cursor (issue 9: a forged admin cursor gave
// 500, and {"x":1} gave 200), and accepts its own.
func TestListsRefuseForeignCursors(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for range 3 {
		ids = append(ids, h.call(t, "create-token", alice).fields()["id"].(string))
	}
	h.call(t, "update-token", alice, onToken(ids[0]), body(`{"name":"renamed"}`))
	h.call(t, "create-token", as("user-bob", "crm:*"), body(`{"name":"b1","scopes":["crm:read"]}`))
	h.call(t, "create-token", as("user-bob", "crm:*"), body(`{"name":"b2","scopes":["crm:read"]}`))

	lists := map[string]listCall{
		"tokens":        {function: "list-tokens", edits: []edit{alice}},
		"events":        {function: "list-token-events", edits: []edit{alice, onToken(ids[0])}},
		"admin-tokens":  {function: "admin-list-tokens", query: []string{"owner", "user-alice"}},
		"admin-audit":   {function: "admin-list-audit", query: []string{"owner", "user-alice"}},
		"admin-all":     {function: "admin-list-tokens"},
		"admin-monthly": {function: "admin-list-audit"},
	}
	issued := map[string]string{}
	for name, c := range lists {
		issued[name] = h.nextCursor(t, c)
	}
	// Sealed under another key: what a rotation leaves behind.
	rotated := &harness{Env: h.Env, doc: h.doc, cfg: h.cfg}
	rotated.cfg.CursorKey = []byte("another key, of at least 32 bytes!")
	rotated.build(t, h.DB, nil)
	oldKey := rotated.nextCursor(t, lists["tokens"])

	b64 := base64.RawURLEncoding.EncodeToString
	flip := func(c string, i int) string {
		b := []byte(c)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	forged := []struct{ name, cursor string }{
		{"garbage", "!!not a cursor!!"},
		{"raw key of the old format", b64([]byte(`{"pk":"TOKEN#x"}`))},
		{"json of the old audit format", b64([]byte(`{"x":1}`))},
		{"plain base64", b64([]byte("2026-01-01T00:00:00.000000Z#abc"))},
		{"too long", strings.Repeat("A", 2049)},
		{"empty body, valid base64", "AQ"},
		{"another key", oldKey},
	}
	for name, c := range lists {
		t.Run(name, func(t *testing.T) {
			call := func(cursor string, edits ...edit) result {
				t.Helper()
				return h.call(t, c.function, append(append(c.edits, edits...), query(append(c.query, "limit", "1", "cursor", cursor)...))...)
			}
			if r := call(issued[name]); r.Status != 200 {
				t.Fatalf("its own cursor: %d %s", r.Status, r.Body)
			}
			cases := append([]struct{ name, cursor string }{}, forged...)
			cases = append(cases,
				struct{ name, cursor string }{"edited at the start", flip(issued[name], 2)},
				struct{ name, cursor string }{"edited in the middle", flip(issued[name], len(issued[name])/2)},
				struct{ name, cursor string }{"edited at the end", flip(issued[name], len(issued[name])-1)},
				struct{ name, cursor string }{"cut short", issued[name][:len(issued[name])-4]},
			)
			for other, cursor := range issued {
				if other != name {
					cases = append(cases, struct{ name, cursor string }{"from " + other, cursor})
				}
			}
			for _, fc := range cases {
				if r := call(fc.cursor); r.Status != 400 || r.code() != "invalid_cursor" {
					t.Errorf("%s: %d %s", fc.name, r.Status, r.Body)
				}
			}
		})
	}
	// Another caller, or the same caller with another filter, on the same route.
	for _, c := range []struct {
		name, from string
		call       listCall
	}{
		{"another user's token list", "tokens", listCall{function: "list-tokens", edits: []edit{as("user-bob", "crm:*")}}},
		{"another administrator", "admin-tokens", listCall{function: "admin-list-tokens", edits: []edit{asAdmin("user-root2")}, query: []string{"owner", "user-alice"}}},
		{"another owner filter", "admin-tokens", listCall{function: "admin-list-tokens", query: []string{"owner", "user-bob"}}},
		{"another status filter", "admin-tokens", listCall{function: "admin-list-tokens", query: []string{"owner", "user-alice", "status", "active"}}},
		{"no filter", "admin-tokens", listCall{function: "admin-list-tokens"}},
		{"another audit filter", "admin-audit", listCall{function: "admin-list-audit", query: []string{"owner", "user-alice", "action", "token.created"}}},
		{"another audit administrator", "admin-audit", listCall{function: "admin-list-audit", edits: []edit{asAdmin("user-root2")}, query: []string{"owner", "user-alice"}}},
		{"a from added", "admin-monthly", listCall{function: "admin-list-audit", query: []string{"from", "2026-01-01T00:00:00Z"}}},
	} {
		r := h.call(t, c.call.function, append(c.call.edits, query(append(c.call.query, "limit", "1", "cursor", issued[c.from])...))...)
		if r.Status != 400 || r.code() != "invalid_cursor" {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
	// Another token's trail, by its owner.
	r := h.call(t, "list-token-events", alice, onToken(ids[1]), query("limit", "1", "cursor", issued["events"]))
	if r.Status != 400 || r.code() != "invalid_cursor" {
		t.Errorf("another token's trail: %d %s", r.Status, r.Body)
	}
}
