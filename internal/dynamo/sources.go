package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// maxBatchGet is the most keys one BatchGetItem takes.
const maxBatchGet = 100

// withSources completes tokens read from the owner index with their
// allowed sources, read from their items: the index does not project
// allowedSources, and an index's projection cannot be changed on a
// deployed table (CloudFormation refuses; it would take a new index and
// two deployments). One BatchGetItem of the page's keys, eventually
// consistent like the index itself, only the two attributes it needs. A
// token gone meanwhile keeps no limit in the page, as it would have been
// missing from a later read of the index.
func (s *Store) withSources(ctx context.Context, tokens []pat.Token) error {
	for start := 0; start < len(tokens); start += maxBatchGet {
		page := tokens[start:min(start+maxBatchGet, len(tokens))]
		keys := make([]map[string]types.AttributeValue, len(page))
		for i, t := range page {
			keys[i] = tokenKey(t.ID)
		}
		sources, err := s.sourcesOf(ctx, keys)
		if err != nil {
			return err
		}
		for i := range page {
			page[i].AllowedSources = sources[page[i].ID]
		}
	}
	return nil
}

// sourcesOf reads the allowed sources of up to maxBatchGet tokens, by id.
func (s *Store) sourcesOf(ctx context.Context, keys []map[string]types.AttributeValue) (map[string][]string, error) {
	out := make(map[string][]string, len(keys))
	err := s.batchGet(ctx, keys, aws.String("id, allowedSources"), false, func(item map[string]types.AttributeValue) error {
		var it struct {
			ID             string   `dynamodbav:"id"`
			AllowedSources []string `dynamodbav:"allowedSources"`
		}
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return err
		}
		out[it.ID] = it.AllowedSources
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read allowed sources: %w", err)
	}
	return out, nil
}

// batchGet reads up to maxBatchGet items of the tokens table by key
// (eventually consistent, only projection when it is set), retrying the
// keys DynamoDB leaves unprocessed a few times, and hands each item found
// to each. An item that does not exist is not handed.
func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue, projection *string, consistent bool, each func(map[string]types.AttributeValue) error) error {
	pending := map[string]types.KeysAndAttributes{s.tokens: {Keys: keys, ProjectionExpression: projection, ConsistentRead: aws.Bool(consistent)}}
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt == 5 {
			return errors.New("keys still unprocessed after 5 attempts")
		}
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(25<<attempt) * time.Millisecond):
			}
		}
		res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
		if err != nil {
			return err
		}
		for _, item := range res.Responses[s.tokens] {
			if err := each(item); err != nil {
				return err
			}
		}
		pending = res.UnprocessedKeys
	}
	return nil
}
