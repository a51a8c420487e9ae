package authz

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/token"
)

// BenchmarkDecideCPUWithSources is BenchmarkDecideCPU for a token limited
// to the most sources a token may carry, the request's address matching
// only the last: the source check's worst case.
func BenchmarkDecideCPUWithSources(b *testing.B) {
	f, _ := token.NewFormat(token.DefaultPrefix)
	raw, p, _ := f.Generate(token.OwnerTag("u"))
	d := p.Digest()
	now := time.Now()
	expires := now.Add(time.Hour)
	var in []string
	for i := range pat.MaxAllowedSources - 1 {
		in = append(in, fmt.Sprintf("2001:db8:%x::/48", i))
	}
	in = append(in, "203.0.113.0/24")
	sources, err := pat.CleanSources(in)
	if err != nil {
		b.Fatal(err)
	}
	rec := pat.TokenOwner{
		Token: &pat.Token{ID: p.ID, UserID: "u", Digest: d[:], Status: pat.StatusActive, Scopes: []string{"crm:read", "orders:read"}, AllowedSources: sources, ExpiresAt: &expires, LastUsedAt: &now},
		Owner: &pat.User{ID: "u", Status: pat.UserActive, Permissions: []string{"crm:read", "crm:update", "orders:read"}},
	}
	a := newTestAuthorizer(b, memoryReader{rec})
	req := Request{Authorization: "Bearer " + raw, Method: "GET", Path: "/api/crm/contacts/7", SourceIP: "203.0.113.77"}
	b.ReportAllocs()
	for b.Loop() {
		if dec, err := a.Decide(context.Background(), req); err != nil || dec.Outcome != Allowed {
			b.Fatal(dec, err)
		}
	}
}
