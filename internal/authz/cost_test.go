package authz_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/patservice/pat/internal/app/authorizer"
	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/testenv"
)

// The cost model of an uncached decision, in US East prices without free
// tiers (README, "Cost per million authorizations"). The measured parts
// (bytes logged, read and write units per decision) come from running the
// real authorizer against DynamoDB Local; the rest are stated assumptions.
const (
	lambdaPerRequest = 0.20 / 1e6       // $ per invocation
	lambdaPerGBs     = 0.0000133334     // $ per GB-second, arm64
	memoryGB         = 128.0 / 1024     // the template's MemorySize
	billedSeconds    = 0.005            // assumed: one GetItem in the region (≈ 3-5 ms) and microseconds of CPU
	perReadUnit      = 0.125 / 1e6      // $ per strongly consistent read of up to 4 KB (on-demand)
	perWriteUnit     = 0.625 / 1e6      // $ per write unit of up to 1 KB (on-demand)
	perLogByte       = 0.50 / (1 << 30) // $ per byte ingested into CloudWatch Logs
	logEventOverhead = 26               // bytes CloudWatch Logs meters per event beside its text
	decisionsPerSec  = 50               // assumed per instance: how often its metrics line is amortized
)

// costRun is what a stream of decisions cost, measured.
type costRun struct {
	decisions, logBytes, logEvents, reads, readUnits, writeUnits float64
}

func (r costRun) perMillion() float64 {
	per := lambdaPerRequest + lambdaPerGBs*memoryGB*billedSeconds +
		(r.readUnits*perReadUnit+r.writeUnits*perWriteUnit+(r.logBytes+r.logEvents*logEventOverhead)*perLogByte)/r.decisions
	return per * 1e6
}

// byteCounter is a log destination that counts.
type byteCounter struct{ bytes, lines atomic.Int64 }

func (c *byteCounter) Write(p []byte) (int, error) {
	c.bytes.Add(int64(len(p)))
	c.lines.Add(1)
	return len(p), nil
}

// runCost makes n decisions with the authorizer as deployed (its default
// settings: allows sampled at 1%, metrics aggregated), deny in every
// denyEvery-th (0: none), on a clock at decisionsPerSec, and measures them.
func runCost(t testing.TB, e *env, n, denyEvery int) costRun {
	c := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	cfg := e.AuthorizerConfig()
	cfg.AllowLogSample = 0.01
	var logs byteCounter
	count := &testenv.Counting{AuthAPI: e.DB}
	a, err := authorizer.New(cfg, count, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	clock := e.Clock.Now()
	a.Now = func() time.Time { return clock }
	// One read unit per read: the token's item is under 4 KB.
	out, err := e.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(e.Tables.Tokens), Key: testenv.TokenKey(c.Token.ID), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if size, _ := json.Marshal(out.Item); len(size) >= 4096 {
		t.Fatalf("a token's item is %d bytes: more than one read unit", len(size))
	}
	reads, writes := count.Reads.Load(), count.WritesDone.Load()
	for i := range n {
		method := "GET"
		if denyEvery > 0 && i%denyEvery == 0 {
			method = "DELETE" // 403 insufficient_scope
		}
		if _, err := a.Authorize(context.Background(), authz.Request{Authorization: "Bearer " + c.Secret, Method: method, Path: "/api/crm/contacts"}); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Second / decisionsPerSec)
	}
	r := costRun{decisions: float64(n), logBytes: float64(logs.bytes.Load()), logEvents: float64(logs.lines.Load())}
	r.reads = float64(count.Reads.Load() - reads)
	r.readUnits = r.reads
	// A refresh writes the token (the item and its two index entries) and
	// its entry in the last-use order (the item, and its index entry moved:
	// a delete and a put), each under 1 KB: 3 units a write.
	r.writeUnits = 3 * float64(count.WritesDone.Load()-writes)
	return r
}

// The cost of an uncached decision stays at the floor: one read unit per
// decision, and logs that add cents per million, not dollars.
func TestCostPerMillionDecisions(t *testing.T) {
	e := newEnv(t)
	allows := runCost(t, e, 5000, 0)
	denies := runCost(t, e, 1000, 1)
	if got := allows.reads / allows.decisions; got != 1 {
		t.Fatalf("%.3f reads per decision", got)
	}
	if cost := allows.perMillion(); cost > 0.36 {
		t.Fatalf("$%.3f per million allowed decisions, above $0.36 (logs %.1f bytes/decision)", cost, allows.logBytes/allows.decisions)
	}
	if perDeny := denies.logBytes / denies.decisions; perDeny < 100 {
		t.Fatalf("a deny logs %.0f bytes: every deny must be logged with its reason", perDeny)
	}
}

// BenchmarkCostModel prints the figures of the README's cost table.
func BenchmarkCostModel(b *testing.B) {
	e := newEnv(b)
	for b.Loop() {
		allows, denies := runCost(b, e, 5000, 0), runCost(b, e, 1000, 1)
		b.ReportMetric(allows.reads/allows.decisions, "reads/decision")
		b.ReportMetric(allows.readUnits/allows.decisions, "RRU/decision")
		b.ReportMetric(allows.writeUnits/allows.decisions, "WRU/decision")
		b.ReportMetric(allows.logBytes/allows.decisions, "log-bytes/allow")
		b.ReportMetric(denies.logBytes/denies.decisions, "log-bytes/deny")
		b.ReportMetric(allows.perMillion(), "$/M-allowed")
		b.ReportMetric(denies.perMillion(), "$/M-denied")
	}
}
