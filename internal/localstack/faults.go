package localstack

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/patservice/pat/internal/dynamo"
)

// FailTransaction fails the At-th transaction (counting from 1) as a
// dropped connection would, and passes every other call through: what a
// crash or a network error mid-way does to a change of many items.
type FailTransaction struct {
	dynamo.API
	At atomic.Int32
	n  atomic.Int32
}

// TransactWriteItems fails the At-th call.
func (f *FailTransaction) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if f.n.Add(1) == f.At.Load() {
		return nil, errors.New("injected: connection reset")
	}
	return f.API.TransactWriteItems(ctx, in, o...)
}
