package authz_test

import (
	"context"
	"testing"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/testenv"
)

// BenchmarkDecideMalformed is the decision alone on a token with a bad
// checksum, against DynamoDB Local: refused before any read (db-calls 0).
// Through the REST adapter with its log line, it is apigw's
// BenchmarkMalformedToken.
func BenchmarkDecideMalformed(b *testing.B) {
	e := newEnv(b)
	c := e.Create(b, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	req := authz.Request{Authorization: "Bearer " + testenv.Tamper(c.Secret), Method: "GET", Path: "/api/crm"}
	ctx := context.Background()
	reads := e.count.Reads.Load()
	b.ReportAllocs()
	for b.Loop() {
		if d, _ := e.authz.Decide(ctx, req); d.Outcome != authz.Unauthorized {
			b.Fatal("accepted")
		}
	}
	b.ReportMetric(float64(e.count.Reads.Load()-reads), "db-calls")
}
