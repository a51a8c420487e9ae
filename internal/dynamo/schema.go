package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"gopkg.in/yaml.v3"
)

// TableSpec is one AWS::DynamoDB::Table of the template: the single
// definition of a table, from which local and test tables are created, so
// that they can never drift from what is deployed.
type TableSpec struct {
	LogicalID            string
	BillingMode          string         `yaml:"BillingMode"`
	AttributeDefinitions []attributeDef `yaml:"AttributeDefinitions"`
	KeySchema            []keyElement   `yaml:"KeySchema"`
	GlobalSecondaryIndex []globalIndex  `yaml:"GlobalSecondaryIndexes"`
	TimeToLive           struct {
		Attr string `yaml:"AttributeName"`
	} `yaml:"TimeToLiveSpecification"`
}

type attributeDef struct {
	Name string `yaml:"AttributeName"`
	Type string `yaml:"AttributeType"`
}

type keyElement struct {
	Name string `yaml:"AttributeName"`
	Type string `yaml:"KeyType"`
}

type globalIndex struct {
	Name       string       `yaml:"IndexName"`
	KeySchema  []keyElement `yaml:"KeySchema"`
	Projection struct {
		Type       string   `yaml:"ProjectionType"`
		Attributes []string `yaml:"NonKeyAttributes"`
	} `yaml:"Projection"`
}

// Properties a table may have in the template. The ones not applied locally
// (name, deletion protection, recovery, encryption, tags) have no effect on
// DynamoDB Local; anything else is refused so that a new property cannot
// silently drift.
var knownTableProperties = []string{
	"TableName", "BillingMode", "DeletionProtectionEnabled", "AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes",
	"TimeToLiveSpecification", "PointInTimeRecoverySpecification", "SSESpecification", "Tags",
}

// ParseTables reads the DynamoDB tables of the deployed template (their
// properties by logical id, resolved: internal/samstack reads them from
// template.yaml and the stacks it nests).
func ParseTables(tables map[string]map[string]any) (map[string]TableSpec, error) {
	specs := map[string]TableSpec{}
	for id, props := range tables {
		for key := range props {
			if !slices.Contains(knownTableProperties, key) {
				return nil, fmt.Errorf("template table %s: property %s is not applied to local tables; teach internal/dynamo/schema.go about it", id, key)
			}
		}
		b, err := json.Marshal(props)
		if err != nil {
			return nil, fmt.Errorf("template table %s: %w", id, err)
		}
		spec := TableSpec{LogicalID: id}
		if err := yaml.Unmarshal(b, &spec); err != nil { // JSON is YAML
			return nil, fmt.Errorf("template table %s: %w", id, err)
		}
		if len(spec.KeySchema) == 0 {
			return nil, fmt.Errorf("template table %s: no KeySchema", id)
		}
		specs[id] = spec
	}
	return specs, nil
}

// CreateTableInput returns the request that creates this table under name.
func (s TableSpec) CreateTableInput(name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingMode(s.BillingMode),
		KeySchema:   keySchema(s.KeySchema),
	}
	for _, a := range s.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.Name), AttributeType: types.ScalarAttributeType(a.Type)})
	}
	for _, g := range s.GlobalSecondaryIndex {
		p := &types.Projection{ProjectionType: types.ProjectionType(g.Projection.Type)}
		if len(g.Projection.Attributes) > 0 {
			p.NonKeyAttributes = g.Projection.Attributes
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(g.Name), KeySchema: keySchema(g.KeySchema), Projection: p})
	}
	return in
}

func keySchema(ks []keyElement) []types.KeySchemaElement {
	out := make([]types.KeySchemaElement, 0, len(ks))
	for _, k := range ks {
		out = append(out, types.KeySchemaElement{AttributeName: aws.String(k.Name), KeyType: types.KeyType(k.Type)})
	}
	return out
}

// TableAPI is the part of the DynamoDB client that creates tables.
type TableAPI interface {
	CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	UpdateTimeToLive(context.Context, *dynamodb.UpdateTimeToLiveInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

// EnsureTable creates the table unless it exists, waits until it is active
// and enables its TTL. It is for local stacks and tests; AWS tables come
// from the template through CloudFormation.
func EnsureTable(ctx context.Context, db TableAPI, s TableSpec, name string) error {
	if _, err := db.CreateTable(ctx, s.CreateTableInput(name)); err != nil && !hasCode(err, "ResourceInUseException") {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 100 * time.Millisecond })
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	if s.TimeToLive.Attr == "" {
		return nil
	}
	_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(s.TimeToLive.Attr), Enabled: aws.Bool(true)},
	})
	// Enabling TTL twice is refused with a ValidationException; that is fine.
	if err != nil && !hasCode(err, "ValidationException") {
		return fmt.Errorf("enable TTL on %s: %w", name, err)
	}
	return nil
}
