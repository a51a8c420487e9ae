package authz_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/patservice/pat/internal/app/authorizer"
	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/scope"
)

// A hot token with DECISION_CACHE_SECONDS=1: 10,000 decisions from one
// instance over 10 s (a decision every millisecond) read DynamoDB at most
// ⌈10 s / 1 s⌉ + 1 times, and record its use once per interval, not once
// per decision.
func TestDecisionCacheBoundsReadsOfAHotToken(t *testing.T) {
	reads, writes, bound := hotToken(t, newEnv(t))
	if reads > bound || reads < 2 {
		t.Fatalf("%d reads for 10,000 decisions over 10 s; the bound is %d", reads, bound)
	}
	if writes != 2 { // one refresh: the token and its entry in the last-use order
		t.Fatalf("%d last-use writes over 10 s with a 10-minute interval, want one refresh (2 writes)", writes)
	}
}

// BenchmarkHotToken prints the hot token's read count for make bench.
func BenchmarkHotToken(b *testing.B) {
	e := newEnv(b)
	for b.Loop() {
		reads, writes, bound := hotToken(b, e)
		b.ReportMetric(float64(reads), "reads/10k-decisions")
		b.ReportMetric(float64(bound), "bound")
		b.ReportMetric(float64(writes), "writes")
	}
}

// hotToken makes 10,000 decisions on one token, a millisecond apart, with
// a decision cache of 1 s, and returns the reads, the last-use writes and
// the bound ⌈duration/1 s⌉ + 1.
func hotToken(tb testing.TB, e *env) (reads, writes, bound int64) {
	c := e.Create(tb, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	catalog, err := scope.Default()
	if err != nil {
		tb.Fatal(err)
	}
	clock := e.Clock.Now()
	now := func() time.Time { return clock }
	reader := authz.NewCachedReader(dynamo.NewAuthReader(e.count, e.Tables.Tokens, e.Tables.Audit), time.Second)
	reader.Now = now
	a := authz.New(reader, e.Service.Format(), catalog, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	a.Now = now
	reads0, writes0 := e.count.Reads.Load(), e.count.WritesDone.Load()
	start := clock
	for range 10_000 {
		d, err := a.Authorize(context.Background(), authz.Request{Authorization: "Bearer " + c.Secret, Method: "GET", Path: "/api/crm/contacts"})
		if err != nil || d.Outcome != authz.Allowed {
			tb.Fatalf("%+v %v", d, err)
		}
		clock = clock.Add(time.Millisecond)
	}
	duration := clock.Sub(start)
	return e.count.Reads.Load() - reads0, e.count.WritesDone.Load() - writes0, int64((duration+time.Second-1)/time.Second) + 1
}

// Every instance honours a revocation, a lock and a disable within the
// cache's TTL plus one read: two instances, each with a warm cache.
func TestDecisionCacheHonoursChangesWithinItsBound(t *testing.T) {
	e := newEnv(t)
	const ttl = time.Second
	instances := make([]*authz.Authorizer, 2)
	for i := range instances {
		cfg := e.AuthorizerConfig()
		cfg.DecisionCache = ttl
		a, err := authorizer.New(cfg, e.DB, slog.New(slog.NewJSONHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		instances[i] = a
	}
	off := pat.UserDisabled
	bob := pat.Identity{UserID: "user-bob-cache", Email: "bob@example.com", Permissions: []string{"crm:read"}}
	for _, change := range []struct {
		name  string
		owner pat.Identity
		apply func(pat.Created) error
	}{
		{"revoke", alice, func(c pat.Created) error { return e.Service.RevokeToken(context.Background(), alice, c.Token.ID) }},
		{"lock", alice, func(c pat.Created) error {
			_, err := e.Service.AdminLockToken(context.Background(), root, c.Token.ID, "test")
			return err
		}},
		{"disable", bob, func(pat.Created) error {
			_, err := e.Service.AdminUpdateUser(context.Background(), root, bob.UserID, pat.UserUpdate{Status: &off})
			return err
		}},
	} {
		t.Run(change.name, func(t *testing.T) {
			c := e.Create(t, change.owner, pat.CreateInput{Scopes: []string{"crm:read"}})
			req := authz.Request{Authorization: "Bearer " + c.Secret, Method: "GET", Path: "/api/crm"}
			for _, a := range instances {
				if d, err := a.Decide(context.Background(), req); err != nil || d.Outcome != authz.Allowed {
					t.Fatalf("warming: %+v %v", d, err)
				}
			}
			if err := change.apply(c); err != nil {
				t.Fatal(err)
			}
			changed := time.Now()
			for i, a := range instances {
				for {
					d, err := a.Decide(context.Background(), req)
					if err != nil {
						t.Fatal(err)
					}
					if d.Outcome != authz.Allowed {
						break
					}
					if since := time.Since(changed); since > ttl+500*time.Millisecond {
						t.Fatalf("instance %d still allows %v after the %s (TTL %v)", i, since, change.name, ttl)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
}
