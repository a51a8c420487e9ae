package lifecycle_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/lifecycle"
	"github.com/patservice/pat/internal/pat"
)

// benchSize is the seeded table: BENCH_TOKENS tokens (default 100,000) of
// which one in BENCH_DUE_EVERY (default 100) is due. The scale,
// 1,000,000 tokens with 10,000 due, is BENCH_TOKENS=1000000.
func benchSize(b *testing.B) (tokens, dueEvery int) {
	tokens, dueEvery = 100_000, 100
	for name, v := range map[string]*int{"BENCH_TOKENS": &tokens, "BENCH_DUE_EVERY": &dueEvery} {
		if s := os.Getenv(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				b.Fatalf("%s=%q: want a whole number", name, s)
			}
			*v = n
		}
	}
	return tokens, dueEvery
}

// BenchmarkJob seeds the table (see benchSize; the due tokens' 14-day
// reminders fall due), runs the job once against DynamoDB Local and the SES
// emulator, without a mail rate (it measures the job, not the quota),
// then scans the whole table, and reports items read by the job per due
// token, mails per second, both durations and the job's peak heap.
func BenchmarkJob(b *testing.B) {
	e := newEnv(b)
	now := t0.Add(200 * day)
	tokens, dueEvery := benchSize(b)
	due := seed(b, e, now, tokens, dueEvery)
	j := e.job(b, e.Mail, nil)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	})
	b.ResetTimer()
	start := time.Now()
	rep, err := j.Run(context.Background(), lifecycle.Options{Now: now})
	jobTook := time.Since(start)
	close(stop)
	wg.Wait()
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	reminded := 0
	for _, a := range rep.Actions {
		if a.Kind == pat.StepIdleReminder {
			reminded++
		}
	}
	if reminded != due {
		b.Fatalf("reminded %d of %d due tokens: %+v", reminded, due, rep.Stopped)
	}
	b.ReportMetric(float64(rep.ItemsRead), "items-read")
	b.ReportMetric(float64(due), "due-tokens")
	b.ReportMetric(float64(rep.ItemsRead)/float64(due), "read/due")
	b.ReportMetric(float64(rep.Mails), "mails")
	b.ReportMetric(float64(rep.Mails)/jobTook.Seconds(), "mails/s")
	b.ReportMetric(float64(jobTook.Milliseconds()), "job-ms")
	b.ReportMetric(float64(max(peak.Load(), base.HeapInuse)-base.HeapInuse)/(1<<20), "peak-heap-MiB")
	// The full Scan the job does without: DynamoDB Local pages a large
	// in-memory table slowly, so it is measured up to 200,000 items only.
	if tokens <= 200_000 {
		start = time.Now()
		scanned := scanAll(b, e)
		b.ReportMetric(float64(scanned), "table-items")
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "scan-ms")
	}
}

// seed writes the tokens with BatchWriteItem, four writers at a time, and
// returns how many are due at now.
func seed(b *testing.B, e *env, now time.Time, tokens, dueEvery int) int {
	b.Helper()
	expires := now.Add(200 * day)
	items := make(chan map[string]types.AttributeValue, 1000)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			batch := make([]types.WriteRequest, 0, 25)
			flush := func() {
				for len(batch) > 0 {
					out, err := e.DB.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{
						RequestItems: map[string][]types.WriteRequest{e.Tables.Tokens: batch}})
					if err != nil {
						b.Error(err)
						return
					}
					batch = out.UnprocessedItems[e.Tables.Tokens]
				}
			}
			for item := range items {
				if batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}); len(batch) == 25 {
					flush()
				}
			}
			flush()
		})
	}
	due := 0
	for i := range tokens {
		created := now.Add(-time.Duration(i%150) * day) // not due: reminders 16 to 166 days ahead
		if i%dueEvery == 0 {
			created = now.Add(-166*day - time.Duration(i%12)*time.Hour) // due: the 14-day reminder
			due++
		}
		t := pat.Token{ID: fmt.Sprintf("bench%024d", i), UserID: fmt.Sprintf("bench-user-%d", i%997),
			OwnerEmail: e.user.Email, Name: fmt.Sprintf("token %d", i), Scopes: []string{"crm:read"}, Status: pat.StatusActive,
			CreatedAt: created, ExpiresAt: &expires, DeleteAfter: expires.Add(30 * day), Notices: map[string]string{}}
		if next, ok := e.cfg.Rules.Lifecycle.Next(t); ok { // written back then, when it was not yet due
			t.DueAt = &next.At
		}
		item, err := dynamo.TokenItem(t)
		if err != nil {
			b.Fatal(err)
		}
		items <- item
	}
	close(items)
	wg.Wait()
	return due
}

func scanAll(b *testing.B, e *env) int {
	n := 0
	p := dynamodb.NewScanPaginator(e.DB, &dynamodb.ScanInput{TableName: aws.String(e.Tables.Tokens), Limit: aws.Int32(2000)}) // short pages: each request within the client's timeout
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		n += len(out.Items)
	}
	return n
}
