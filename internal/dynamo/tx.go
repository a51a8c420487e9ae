package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// write is one item of a transaction and what a failure of its condition
// means.
type write struct {
	item types.TransactWriteItem
	// failed explains a failed condition, given the item as it was (nil
	// when there was none). Nil: the condition is not expected to fail, and
	// its failure is an internal error.
	failed func(old map[string]types.AttributeValue) error
}

// errNotApplied is what a failed condition means for a write that is
// allowed to lose to a change made meanwhile (the job's deletions); the
// caller turns it into false.
var errNotApplied = errors.New("not applied: the item changed meanwhile")

// failWith is a failed-condition handler that always means err.
func failWith(err error) func(map[string]types.AttributeValue) error {
	return func(map[string]types.AttributeValue) error { return err }
}

// transact runs writes as one transaction. When DynamoDB cancels it, each
// failed condition is explained by its write's handler, in order, and the
// first explanation is returned (every handler runs, so that one may
// collect all the items that failed); a conflict with another transaction
// is CodeConflict; anything else is an internal error.
func (s *Store) transact(ctx context.Context, writes []write) error {
	return transact(ctx, s.db, writes)
}

// transactor is what a transaction needs of the client: the store's and
// the authorizer's (AuthReader) both have it.
type transactor interface {
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// transact is Store.transact on any client.
func transact(ctx context.Context, db transactor, writes []write) error {
	if len(writes) > maxTransactItems {
		return fmt.Errorf("transaction of %d items: DynamoDB takes at most %d", len(writes), maxTransactItems)
	}
	items := make([]types.TransactWriteItem, len(writes))
	for i, w := range writes {
		items[i] = w.item
		if w.failed != nil {
			returnOldOnFailure(&items[i])
		}
	}
	_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	tce, ok := errors.AsType[*types.TransactionCanceledException](err)
	if !ok {
		if err != nil {
			return fmt.Errorf("transaction: %w", err)
		}
		return nil
	}
	reasons := tce.CancellationReasons
	if len(reasons) != len(writes) {
		return fmt.Errorf("transaction cancelled with %d reasons for %d items: %w", len(reasons), len(writes), err)
	}
	var explained error
	for i, r := range reasons {
		if aws.ToString(r.Code) == "ConditionalCheckFailed" && writes[i].failed != nil {
			if e := writes[i].failed(r.Item); explained == nil {
				explained = e
			}
		}
	}
	if explained != nil {
		return explained
	}
	codes := make([]string, len(reasons))
	for i, r := range reasons {
		codes[i] = aws.ToString(r.Code)
		if codes[i] == "TransactionConflict" {
			return pat.Errorf(pat.CodeConflict, "the token is being changed by another request; try again")
		}
	}
	return fmt.Errorf("transaction cancelled: %s", strings.Join(codes, ","))
}

// returnOldOnFailure asks DynamoDB for the item as it was when the write's
// condition fails, for the handler to explain.
func returnOldOnFailure(item *types.TransactWriteItem) {
	old := types.ReturnValuesOnConditionCheckFailureAllOld
	switch {
	case item.Update != nil:
		item.Update.ReturnValuesOnConditionCheckFailure = old
	case item.Put != nil:
		item.Put.ReturnValuesOnConditionCheckFailure = old
	case item.Delete != nil:
		item.Delete.ReturnValuesOnConditionCheckFailure = old
	case item.ConditionCheck != nil:
		item.ConditionCheck.ReturnValuesOnConditionCheckFailure = old
	}
}
