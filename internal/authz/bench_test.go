package authz

import (
	"context"
	"testing"
	"time"

	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/token"
)

// memoryReader returns one record from memory: the decision without I/O.
type memoryReader struct{ rec pat.TokenOwner }

func (m memoryReader) TokenAndOwner(context.Context, token.Parsed) (pat.TokenOwner, error) {
	return m.rec, nil
}
func (m memoryReader) RecordUse(context.Context, string, pat.Use, time.Time) error { return nil }

func (memoryReader) ReportReuse(context.Context, pat.ReuseReport) (bool, error) { return false, nil }

// BenchmarkDecideCPU is the decision's own CPU time and allocations, for an
// allowed request, with the database answer already in memory.
func BenchmarkDecideCPU(b *testing.B) {
	f, _ := token.NewFormat(token.DefaultPrefix)
	raw, p, _ := f.Generate(token.OwnerTag("u"))
	d := p.Digest()
	now := time.Now()
	last := now
	expires := now.Add(time.Hour)
	rec := pat.TokenOwner{
		Token: &pat.Token{ID: p.ID, UserID: "u", Digest: d[:], Status: pat.StatusActive, Scopes: []string{"crm:read", "orders:read"}, ExpiresAt: &expires, LastUsedAt: &last},
		Owner: &pat.User{ID: "u", Status: pat.UserActive, Permissions: []string{"crm:read", "crm:update", "orders:read"}},
	}
	a := newTestAuthorizer(b, memoryReader{rec})
	req := Request{Authorization: "Bearer " + raw, Method: "GET", Path: "/api/crm/contacts/7"}
	b.ReportAllocs()
	for b.Loop() {
		if dec, err := a.Decide(context.Background(), req); err != nil || dec.Outcome != Allowed {
			b.Fatal(dec, err)
		}
	}
}
