package apigw_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/apigw"
	"github.com/patservice/pat/internal/app/authorizer"
	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/pat"
)

// quietHandler is the authorizer on the counting client, logging to nowhere.
func (e *env) quietHandler(b *testing.B) (*apigw.Handler, *authz.Authorizer) {
	b.Helper()
	a, err := authorizer.New(config.Authorizer{TokensTable: e.tables.Tokens, TokenPrefix: "pat",
		LastUseInterval: 10 * time.Minute, Timeout: time.Second, Realm: "pat"}, e.count, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	return apigw.New(a), a
}

// BenchmarkAuthorizerVsGetItem runs, in each iteration, one raw strongly
// consistent GetItem of the token item, one full authorizer decision (REST
// event → policy, last-use bookkeeping, decision log line) and one raw
// BatchGetItem of the two items the decision reads, all against DynamoDB
// Local, and reports their medians and ratios: vs GetItem (the goal's
// yardstick) and vs the BatchGetItem (what the decision adds to its read);
// and, for comparison, two concurrent GetItems of the same two items.
func BenchmarkAuthorizerVsGetItem(b *testing.B) {
	e := newEnv(b)
	c := e.create(b, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	h, _ := e.quietHandler(b)
	ctx := context.Background()
	ev := e.restEvent(b, request{header: "Bearer " + c.Secret, method: "GET", path: "/api/crm/contacts"})
	get := &dynamodb.GetItemInput{TableName: aws.String(e.tables.Tokens), Key: tokenKey(c.Token.ID), ConsistentRead: aws.Bool(true)}
	batch := &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{e.tables.Tokens: {
		Keys: []map[string]types.AttributeValue{tokenKey(c.Token.ID), ownerKey(alice.UserID)}, ConsistentRead: aws.Bool(true)}}}
	// Count from the first decision, which records the token's first use.
	reads0, writes0 := e.count.reads.Load(), e.count.writes.Load()
	const warm = 200 // DynamoDB Local is a JVM: let it compile the read paths first
	for range warm {
		_, _ = e.db.GetItem(ctx, get)
		_, _ = h.REST(ctx, ev)
	}
	getOwner := &dynamodb.GetItemInput{TableName: aws.String(e.tables.Tokens), Key: ownerKey(alice.UserID), ConsistentRead: aws.Bool(true)}
	var getTimes, authTimes, batchTimes, pairTimes []time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if _, err := e.db.GetItem(ctx, get); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		resp, err := h.REST(ctx, ev)
		if err != nil || resp.PolicyDocument.Statement[0].Effect != "Allow" {
			b.Fatalf("not allowed: %v", err)
		}
		t2 := time.Now()
		if _, err := e.db.BatchGetItem(ctx, batch); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		// The alternative to one BatchGetItem: two concurrent GetItems.
		var wg sync.WaitGroup
		wg.Go(func() { _, _ = e.db.GetItem(ctx, getOwner) })
		_, _ = e.db.GetItem(ctx, get)
		wg.Wait()
		getTimes, authTimes, batchTimes = append(getTimes, t1.Sub(t0)), append(authTimes, t2.Sub(t1)), append(batchTimes, t3.Sub(t2))
		pairTimes = append(pairTimes, time.Since(t3))
	}
	b.StopTimer()
	n := float64(len(authTimes) + warm)
	g, a := median(getTimes), median(authTimes)
	b.ReportMetric(float64(g.Microseconds()), "getitem-p50-µs")
	b.ReportMetric(float64(a.Microseconds()), "authorizer-p50-µs")
	b.ReportMetric(float64(a)/float64(g), "ratio-p50")
	b.ReportMetric(float64(median(batchTimes).Microseconds()), "batchget-p50-µs")
	b.ReportMetric(float64(a)/float64(median(batchTimes)), "ratio-vs-batchget-p50")
	b.ReportMetric(float64(median(pairTimes).Microseconds()), "two-parallel-getitems-p50-µs")
	b.ReportMetric(float64(mean(authTimes))/float64(mean(getTimes)), "ratio-mean")
	b.ReportMetric(float64(e.count.reads.Load()-reads0)/n, "roundtrips/decision")
	b.ReportMetric(float64(e.count.writes.Load()-writes0)/n, "writes/decision")
}

// BenchmarkMalformedToken rejects a token with a bad checksum: the decision
// alone, and through the REST adapter with its log line.
func BenchmarkMalformedToken(b *testing.B) {
	e := newEnv(b)
	c := e.create(b, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	bad := tamper(c.Secret)
	h, a := e.quietHandler(b)
	ctx := context.Background()
	b.Run("decide", func(b *testing.B) {
		reads := e.count.reads.Load()
		req := authz.Request{Authorization: "Bearer " + bad, Method: "GET", Path: "/api/crm"}
		b.ReportAllocs()
		for b.Loop() {
			if d, _ := a.Decide(ctx, req); d.Outcome != authz.Unauthorized {
				b.Fatal("accepted")
			}
		}
		b.ReportMetric(float64(e.count.reads.Load()-reads), "db-calls")
	})
	b.Run("rest-event-logged", func(b *testing.B) {
		reads := e.count.reads.Load()
		ev := e.restEvent(b, request{header: "Bearer " + bad, method: "GET", path: "/api/crm"})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.REST(ctx, ev); err == nil {
				b.Fatal("accepted")
			}
		}
		b.ReportMetric(float64(e.count.reads.Load()-reads), "db-calls")
	})
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}
