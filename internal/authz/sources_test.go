package authz_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/testenv"
)

// A token limited to some sources is allowed from them and refused with
// 403 source_not_allowed from anywhere else, with the one read every
// decision makes; the refusal comes before the route (a request from
// elsewhere learns nothing of the catalog or the token's scopes), is
// logged with its reason and counted. With a decision cache, the source is
// still checked on every request: only the read is reused.
func TestSourceLimit(t *testing.T) {
	var logs localstack.SyncBuffer
	e := testenv.New(t, &ledger, testenv.LogsTo(&logs))
	e.Clock.Set(time.Now().UTC().Truncate(time.Second)) // real time: DynamoDB Local applies TTL
	limited := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}, AllowedSources: []string{"203.0.113.0/24", "2001:db8:1::/48"}})
	open := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	refused := want{outcome: authz.Forbidden, reason: authz.ReasonSource, code: "insufficient_scope", reads: 1}

	for _, cache := range []time.Duration{0, time.Minute} {
		cfg := e.AuthorizerConfig()
		cfg.DecisionCache = cache
		count := &testenv.Counting{AuthAPI: e.DB}
		a := e.Authorizer(t, cfg, count)
		cases := []struct {
			name   string
			tok    pat.Created
			source string
			path   string
			want   want
		}{
			{"IPv4 inside", limited, "203.0.113.10", "/api/crm", allowed},
			{"IPv4 outside", limited, "198.51.100.10", "/api/crm", refused},
			{"IPv6 inside", limited, "2001:db8:1:2::7", "/api/crm", allowed},
			{"IPv6 outside", limited, "2001:db8:2::7", "/api/crm", refused},
			{"IPv4-mapped IPv6 inside", limited, "::ffff:203.0.113.10", "/api/crm", allowed},
			{"IPv4-mapped IPv6 outside", limited, "::ffff:198.51.100.10", "/api/crm", refused},
			{"no source address", limited, "", "/api/crm", refused},
			{"outside, on a route no scope grants", limited, "198.51.100.10", "/api/hr/people", refused},
			{"outside, on a scope it lacks", limited, "198.51.100.10", "/api/crm/7", refused},
			{"no limit: anywhere", open, "198.51.100.10", "/api/crm", allowed},
		}
		for _, tc := range cases {
			t.Run(cache.String()+"/"+tc.name, func(t *testing.T) {
				before := count.Reads.Load()
				method := "GET"
				if strings.HasSuffix(tc.path, "/7") {
					method = "DELETE"
				}
				d, err := a.Authorize(context.Background(), authz.Request{Authorization: "Bearer " + tc.tok.Secret, Method: method, Path: tc.path, SourceIP: tc.source})
				if err != nil {
					t.Fatal(err)
				}
				reads := count.Reads.Load() - before
				// With the cache, only a token's first decision reads.
				if cache == 0 && reads != tc.want.reads || cache > 0 && reads > 1 {
					t.Errorf("%d database round trips, want %d", reads, tc.want.reads)
				}
				if d.Outcome != tc.want.outcome || d.Reason != tc.want.reason || d.ErrorCode() != tc.want.code {
					t.Fatalf("decision %v %q, error %q; want %+v", d.Outcome, d.Reason, d.ErrorCode(), tc.want)
				}
				if tc.want.outcome == authz.Forbidden {
					if d.RequiredScope != "" || d.Scopes != nil || d.UserID != "" {
						t.Fatalf("a refused source learned scope %q, scopes %v, user %q", d.RequiredScope, d.Scopes, d.UserID)
					}
					if got := d.Description(); got != "the token may not be used from this address" {
						t.Fatalf("description %q", got)
					}
				}
			})
		}
		if cache > 0 && count.Reads.Load() != 2 {
			t.Errorf("with a decision cache, %d reads for two tokens", count.Reads.Load())
		}
	}
	var refusals int
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, `"Reason":"source_not_allowed"`) {
			refusals++
			if !strings.Contains(line, `"Decisions":1`) || !strings.Contains(line, `"Decision":"forbidden"`) || !strings.Contains(line, `"tokenId":"`+limited.Token.ID+`"`) {
				t.Fatalf("a refusal's line lacks its metric or token id: %s", line)
			}
		}
	}
	if refusals != 12 {
		t.Fatalf("%d refusals logged with reason source_not_allowed, want 12", refusals)
	}
}

// A use from outside a token's sources is not recorded as its last use.
func TestRefusedSourceIsNoUse(t *testing.T) {
	e := newEnv(t)
	c := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}, AllowedSources: []string{"203.0.113.0/24"}})
	if _, err := e.authz.Authorize(context.Background(), authz.Request{Authorization: "Bearer " + c.Secret, Method: "GET", Path: "/api/crm", SourceIP: "198.51.100.1"}); err != nil {
		t.Fatal(err)
	}
	if n := e.count.Writes.Load(); n != 0 {
		t.Fatalf("%d writes for a refused use", n)
	}
}
