package lambdarun_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// A rotation of the cursor key as the operations guide does it (a new
// value in the stack's secret, no deploy), through list-tokens' real
// bootstrap reading the secret under its policy: a list resumed with a
// cursor sealed before the rotation goes on (the key is now AWSPREVIOUS),
// one sealed two rotations ago is refused as invalid_cursor. Each step
// starts a new instance, as Lambda does within minutes (a warm one reads
// the secret again every cursorkey.TTL: internal/cursorkey's tests); no
// line any instance logs holds a key.
func TestCursorKeyRotationWithoutADeploy(t *testing.T) {
	s := newSuite(t)
	w := s.world(t, "list-tokens")
	for range 3 {
		seedToken(t, w)
	}
	w.run(t)
	page := func(cursor string) response {
		t.Helper()
		q := map[string]string{"limit": "1"}
		if cursor != "" {
			q["cursor"] = cursor
		}
		return w.call(t, w.event(t, "list-tokens", query(q)))
	}
	next := func(r response) string {
		t.Helper()
		want(t, r, http.StatusOK, "")
		c, _ := r.json()["nextCursor"].(string)
		if c == "" {
			t.Fatalf("no nextCursor: %s", r.Body)
		}
		return c
	}
	var lines []string
	coldStart := func() {
		t.Helper()
		for _, l := range w.e.Lines() {
			lines = append(lines, l.Text)
		}
		w.e.Close()
		w.e = s.start(t, w.stack, w.fn, w.iam.DynamoDBURL, w.iam.SESURL, w.iam.SecretsManagerURL)
	}

	before := next(page(""))
	keys := []string{rotateSecret(t, w.secret)}
	coldStart()
	after := next(page(before)) // sealed with the previous key: accepted
	keys = append(keys, rotateSecret(t, w.secret))
	coldStart()
	want(t, page(before), http.StatusBadRequest, "invalid_cursor")                                   // two rotations old
	if last := page(after); last.Status != http.StatusOK || len(last.json()["items"].([]any)) != 1 { // sealed with the key now previous: the third token
		t.Fatalf("the last page: %d %s", last.Status, last.Body)
	}
	for _, l := range w.e.Lines() {
		lines = append(lines, l.Text)
	}

	// Every instance read both versions of the secret, through the IAM
	// check, under list-tokens' grant on exactly that secret.
	var reads []string
	for _, d := range w.iam.Decisions() {
		if d.Action == "secretsmanager:GetSecretValue" && d.Allowed && d.Resource == w.secret {
			reads = append(reads, d.Function)
		}
	}
	if len(reads) != 6 || slices.ContainsFunc(reads, func(f string) bool { return f != "ListTokensFunction" }) {
		t.Errorf("reads of the secret: %v, want AWSCURRENT and AWSPREVIOUS by each of three instances", reads)
	}
	for _, l := range lines {
		for _, k := range keys {
			if strings.Contains(l, k) {
				t.Fatalf("a log line holds a cursor key: %s", l)
			}
		}
	}
}
