package dynamo_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/pat"
)

// metering asks DynamoDB for the capacity of every read and adds it up.
type metering struct {
	dynamo.API
	mu       sync.Mutex
	units    float64
	requests int
}

func (m *metering) add(cc ...types.ConsumedCapacity) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests++
	for _, c := range cc {
		m.units += aws.ToFloat64(c.CapacityUnits)
	}
}

func (m *metering) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.Query(ctx, in, o...)
	if err == nil && out.ConsumedCapacity != nil {
		m.add(*out.ConsumedCapacity)
	}
	return out, err
}

func (m *metering) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.BatchGetItem(ctx, in, o...)
	if err == nil {
		m.add(out.ConsumedCapacity...)
	}
	return out, err
}

// BenchmarkAllTokensPageCost prints what a page of 50 of the all-tokens
// list costs in read units and requests, in each order, over 120 tokens
// (half of them used), as DynamoDB reports it with ReturnConsumedCapacity:
// the figures docs/data-model.md gives.
func BenchmarkAllTokensPageCost(b *testing.B) {
	f := newFixture(b)
	f.user(b, "alice")
	auth := dynamo.NewAuthReader(f.db, f.tables.Tokens, f.tables.Audit)
	for i := range 120 {
		tok := f.token(b, "alice")
		if i%2 == 0 {
			if err := auth.RecordUse(ctx, tok.ID, pat.Use{At: f.now, SourceIP: "192.0.2.1", UserAgent: "curl/8.5.0"}, f.now.Add(-time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
	}
	m := &metering{API: f.db}
	s := f.storeOn(b, m)
	for _, order := range []pat.TokenOrder{pat.OrderNewest, pat.OrderExpires, pat.OrderLastUsed} {
		b.Run(string(order), func(b *testing.B) {
			var first, second float64
			var requests int
			for b.Loop() {
				m.units, m.requests = 0, 0
				page, err := s.ListAllTokens(ctx, pat.TokenFilter{Order: order, Now: f.now}, pat.PageRequest{Limit: 50, List: "cost"})
				if err != nil {
					b.Fatal(err)
				}
				first, requests = m.units, m.requests
				m.units = 0
				if _, err := s.ListAllTokens(ctx, pat.TokenFilter{Order: order, Now: f.now}, pat.PageRequest{Limit: 50, List: "cost", Cursor: page.Next}); err != nil {
					b.Fatal(err)
				}
				second = m.units
			}
			b.ReportMetric(first, "RCU/page1")
			b.ReportMetric(float64(requests), "requests/page1")
			b.ReportMetric(second, "RCU/page2")
		})
	}
}
