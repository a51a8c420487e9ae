package apigw_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/patservice/pat/internal/apigw"
	"github.com/patservice/pat/internal/app/authorizer"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/testenv"
)

// quietHandler is the authorizer on the counting client, logging to nowhere.
func (e *env) quietHandler(b *testing.B) *apigw.Handler {
	b.Helper()
	a, err := authorizer.New(e.AuthorizerConfig(), e.count, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	return apigw.New(a)
}

// BenchmarkAuthorizerVsGetItem times, alternately, one raw strongly
// consistent GetItem of a token's item and one full decision on the same
// token (REST event → policy, with its log and metrics), on the same
// client, and reports their p50 and p99, the ratio of the medians and the
// reads per decision. It runs twice: directly against DynamoDB Local, and
// through a loopback proxy that adds TLS and a round trip of BENCH_RTT
// (default 2 ms), as a Lambda function sees DynamoDB: DynamoDB Local
// answers in a fraction of a millisecond, which overstates what the work
// beside the read costs. The goal is a decision within 1.05 × a GetItem
// through the proxy.
func BenchmarkAuthorizerVsGetItem(b *testing.B) {
	rtt := 2 * time.Millisecond
	if v := os.Getenv("BENCH_RTT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("BENCH_RTT=%q: %v", v, err)
		}
		rtt = d
	}
	for _, mode := range []struct {
		name   string
		client func(testing.TB, *env) *dynamodb.Client
	}{
		{"direct", func(_ testing.TB, e *env) *dynamodb.Client { return e.DB }},
		{fmt.Sprintf("tls-rtt-%v", rtt), func(tb testing.TB, _ *env) *dynamodb.Client { return localstack.RemoteClient(tb, rtt) }},
	} {
		b.Run(mode.name, func(b *testing.B) {
			e := newEnv(b)
			c := e.Create(b, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
			db := mode.client(b, e)
			count := &testenv.Counting{AuthAPI: db}
			cfg := e.AuthorizerConfig()
			cfg.AllowLogSample = 0.01
			a, err := authorizer.New(cfg, count, slog.New(slog.NewJSONHandler(io.Discard, nil)))
			if err != nil {
				b.Fatal(err)
			}
			h := apigw.New(a)
			ctx := context.Background()
			ev := e.restEvent(b, request{header: "Bearer " + c.Secret, method: "GET", path: "/api/crm/contacts"})
			get := &dynamodb.GetItemInput{TableName: aws.String(e.Tables.Tokens), Key: testenv.TokenKey(c.Token.ID), ConsistentRead: aws.Bool(true)}
			const warm = 200 // DynamoDB Local is a JVM: let it compile the read paths first; the first decision records the use
			for range warm {
				_, _ = db.GetItem(ctx, get)
				_, _ = h.REST(ctx, ev)
			}
			reads0 := count.Reads.Load()
			var getTimes, authTimes []time.Duration
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				if _, err := db.GetItem(ctx, get); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				resp, err := h.REST(ctx, ev)
				if err != nil || resp.PolicyDocument.Statement[0].Effect != "Allow" {
					b.Fatalf("not allowed: %v", err)
				}
				getTimes, authTimes = append(getTimes, t1.Sub(t0)), append(authTimes, time.Since(t1))
			}
			b.StopTimer()
			g, d := percentile(getTimes, 50), percentile(authTimes, 50)
			b.ReportMetric(float64(g.Microseconds()), "getitem-p50-µs")
			b.ReportMetric(float64(percentile(getTimes, 99).Microseconds()), "getitem-p99-µs")
			b.ReportMetric(float64(d.Microseconds()), "decision-p50-µs")
			b.ReportMetric(float64(percentile(authTimes, 99).Microseconds()), "decision-p99-µs")
			b.ReportMetric(float64(d)/float64(g), "ratio-p50")
			b.ReportMetric(float64(count.Reads.Load()-reads0)/float64(len(authTimes)), "reads/decision")
		})
	}
}

// BenchmarkMalformedToken rejects a token with a bad checksum through the
// REST adapter, with its log line. The decision alone is authz's
// BenchmarkDecideMalformed (internal/authz).
func BenchmarkMalformedToken(b *testing.B) {
	e := newEnv(b)
	c := e.Create(b, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	bad := testenv.Tamper(c.Secret)
	h := e.quietHandler(b)
	ctx := context.Background()
	reads := e.count.Reads.Load()
	ev := e.restEvent(b, request{header: "Bearer " + bad, method: "GET", path: "/api/crm"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.REST(ctx, ev); err == nil {
			b.Fatal("accepted")
		}
	}
	b.ReportMetric(float64(e.count.Reads.Load()-reads), "db-calls")
}

// percentile is the p-th percentile of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}
