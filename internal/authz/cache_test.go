package authz

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/token"
)

// tableReader stands in for the tokens table, counting the reads of each
// id: what is under test is the cache's admission and memory, which the
// engine behind it does not change (the cache against DynamoDB Local is
// cachebound_test.go's TestDecisionCacheBoundsReadsOfAHotToken).
type tableReader struct {
	mu    sync.Mutex
	items map[string]pat.TokenOwner
	reads map[string]int
	total int
}

var _ Reader = (*tableReader)(nil)

func (r *tableReader) TokenAndOwner(_ context.Context, p token.Parsed) (pat.TokenOwner, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads[p.ID]++
	r.total++
	return r.items[p.ID], nil
}

func (r *tableReader) RecordUse(context.Context, string, pat.Use, time.Time) error { return nil }

func (*tableReader) ReportReuse(context.Context, pat.ReuseReport) (bool, error) { return false, nil }

// add stores an active token of user u with crm:read and returns its secret.
func (r *tableReader) add(tb testing.TB, f *token.Format, u string) (string, token.Parsed) {
	tb.Helper()
	raw, p, err := f.Generate(token.OwnerTag(u))
	if err != nil {
		tb.Fatal(err)
	}
	d := p.Digest()
	now := time.Now()
	r.items[p.ID] = pat.TokenOwner{
		Token: &pat.Token{ID: p.ID, UserID: u, Digest: d[:], Status: pat.StatusActive, Scopes: []string{"crm:read"}, LastUsedAt: &now},
		Owner: &pat.User{ID: u, Status: pat.UserActive, Permissions: []string{"crm:read"}},
	}
	return raw, p
}

// Forged well-formed ids (checksums are public) cannot flush the cache: a
// hot token decided on between 20,000 of them, all within one TTL, is read
// once, and the forged ids take no room. Each forged id costs the one read
// it would cost without a cache.
func TestForgedIDsDoNotEvictAHotToken(t *testing.T) {
	f, err := token.NewFormat(token.DefaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	table := &tableReader{items: map[string]pat.TokenOwner{}, reads: map[string]int{}}
	hot, hotID := table.add(t, f, "user-hot")
	clock := time.Now()
	cache := NewCachedReader(table, 30*time.Second)
	cache.Now = func() time.Time { return clock }
	a := newTestAuthorizer(t, cache)
	a.Now = cache.Now
	const forged = 20_000
	for i := range forged {
		raw, _, err := f.Generate(token.OwnerTag("mallory"))
		if err != nil {
			t.Fatal(err)
		}
		if d, err := a.Decide(context.Background(), Request{Authorization: "Bearer " + raw, Method: "GET", Path: "/api/crm"}); err != nil || d.Reason != ReasonUnknown {
			t.Fatalf("forged id %d: %+v %v", i, d, err)
		}
		if d, err := a.Decide(context.Background(), Request{Authorization: "Bearer " + hot, Method: "GET", Path: "/api/crm"}); err != nil || d.Outcome != Allowed {
			t.Fatalf("hot token after %d forged ids: %+v %v", i, d, err)
		}
		clock = clock.Add(time.Millisecond) // 20 s in all, within one TTL of 30 s
	}
	if got := table.reads[hotID.ID]; got != 1 {
		t.Errorf("the hot token was read %d times over one TTL, want 1", got)
	}
	if got := table.total - table.reads[hotID.ID]; got != forged {
		t.Errorf("%d reads for %d forged ids, want one each", got, forged)
	}
	if n := len(cache.entries); n != 1 {
		t.Errorf("%d entries cached, want only the hot token's", n)
	}
}

// A cache full of live entries keeps them: a newcomer is read but not
// cached until a sweep, one TTL later, finds room. The cache never holds
// more than maxCached entries.
func TestFullCacheKeepsLiveEntries(t *testing.T) {
	f, err := token.NewFormat(token.DefaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	table := &tableReader{items: map[string]pat.TokenOwner{}, reads: map[string]int{}}
	clock := time.Now()
	cache := NewCachedReader(table, 30*time.Second)
	cache.Now = func() time.Time { return clock }
	ctx := context.Background()
	_, first := table.add(t, f, "user-first")
	if _, err := cache.TokenAndOwner(ctx, first); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < maxCached; i++ {
		_, p := table.add(t, f, "user-many")
		if _, err := cache.TokenAndOwner(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	_, late := table.add(t, f, "user-late")
	for range 3 {
		if _, err := cache.TokenAndOwner(ctx, late); err != nil {
			t.Fatal(err)
		}
		if _, err := cache.TokenAndOwner(ctx, first); err != nil {
			t.Fatal(err)
		}
	}
	if table.reads[first.ID] != 1 || table.reads[late.ID] != 3 || len(cache.entries) != maxCached {
		t.Fatalf("full cache: the first entry read %d times (want 1), the newcomer %d (want 3), %d entries (want %d)",
			table.reads[first.ID], table.reads[late.ID], len(cache.entries), maxCached)
	}
	clock = clock.Add(31 * time.Second) // every entry is past its TTL: the next newcomer's sweep makes room
	if _, err := cache.TokenAndOwner(ctx, late); err != nil {
		t.Fatal(err)
	}
	if _, err := cache.TokenAndOwner(ctx, late); err != nil {
		t.Fatal(err)
	}
	if table.reads[late.ID] != 4 || len(cache.entries) != 1 {
		t.Fatalf("after a TTL: the newcomer read %d times (want 4), %d entries (want 1)", table.reads[late.ID], len(cache.entries))
	}
}
