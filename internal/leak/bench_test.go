package leak_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/patservice/pat/internal/leak"
)

// What a report costs before any token is looked at: the signature check
// with the keys cached, and parsing the largest report taken.
func BenchmarkVerifyCached(b *testing.B) {
	gh := newSigner(b, "k1")
	keys := leak.NewKeys(gh.Server.URL)
	body := []byte(`[{"token":"pat_x","type":"pat_token","url":"https://github.com/o/r/blob/1/a","source":"content"}]`)
	sig := gh.sign(b, "k1", body)
	ctx := context.Background()
	if err := keys.Verify(ctx, body, "k1", sig); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := keys.Verify(ctx, body, "k1", sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMaxEntries(b *testing.B) {
	entries := make([]leak.Entry, leak.MaxEntries)
	for i := range entries {
		entries[i] = leak.Entry{Token: fmt.Sprintf("pat_%029d_%049d", i, i), Type: "pat_token", URL: "https://github.com/o/r", Source: "content"}
	}
	body, _ := json.Marshal(entries)
	if len(body) > leak.MaxBodyBytes { // as many as fit
		body, _ = json.Marshal(entries[:len(entries)*leak.MaxBodyBytes/len(body)-1])
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := leak.Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}
