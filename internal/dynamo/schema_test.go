package dynamo_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/localstack"
)

// The tables created locally are the ones template.yaml deploys: created from
// its definition, they are described back and compared with it, and the
// template's raw text is checked for the keys the store relies on.
func TestTablesMatchTemplate(t *testing.T) {
	db := localstack.Client(t)
	specs := localstack.MustSpecs(t)
	tables := localstack.MustTables(t, db)
	for id, name := range map[string]string{"TokensTable": tables.Tokens, "AuditTable": tables.Audit} {
		spec, ok := specs[id]
		if !ok {
			t.Fatalf("template.yaml has no %s", id)
		}
		want := spec.CreateTableInput(name)
		out, err := db.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		d := out.Table
		var gsis []string
		for _, g := range d.GlobalSecondaryIndexes {
			gsis = append(gsis, index(g.IndexName, g.KeySchema, g.Projection))
		}
		var wantGSIs []string
		for _, g := range want.GlobalSecondaryIndexes {
			wantGSIs = append(wantGSIs, index(g.IndexName, g.KeySchema, g.Projection))
		}
		checks := []struct{ what, got, want string }{
			{"key schema", keys(d.KeySchema), keys(want.KeySchema)},
			{"attributes", attributes(d.AttributeDefinitions), attributes(want.AttributeDefinitions)},
			{"indexes", join(gsis), join(wantGSIs)},
			{"billing", string(d.BillingModeSummary.BillingMode), string(want.BillingMode)},
		}
		ttl, err := db.DescribeTimeToLive(context.Background(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		checks = append(checks, struct{ what, got, want string }{"TTL", aws.ToString(ttl.TimeToLiveDescription.AttributeName), spec.TimeToLive.Attr})
		for _, c := range checks {
			if c.got != c.want || c.want == "" && c.what != "indexes" {
				t.Errorf("%s %s: local %q, template %q", id, c.what, c.got, c.want)
			}
		}
	}
	// What the store's code assumes, read from the template's definitions.
	tok := specs["TokensTable"].CreateTableInput("x")
	var gsis []string
	for _, g := range tok.GlobalSecondaryIndexes {
		gsis = append(gsis, aws.ToString(g.IndexName)+"("+keys(g.KeySchema)+")")
	}
	want := join([]string{dynamo.OwnerIndex + "(ownerPk:HASH ownerSk:RANGE)", dynamo.DueIndex + "(dueDay:HASH dueAt:RANGE)", dynamo.ListIndex + "(listPk:HASH listSk:RANGE)"})
	if keys(tok.KeySchema) != "pk:HASH sk:RANGE" || specs["TokensTable"].TimeToLive.Attr != "ttl" || join(gsis) != want {
		t.Errorf("template.yaml's TokensTable no longer has the keys internal/dynamo uses: %v", gsis)
	}
}

func keys(ks []types.KeySchemaElement) string {
	var out []string
	for _, k := range ks {
		out = append(out, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
	}
	return strings.Join(out, " ")
}

func attributes(as []types.AttributeDefinition) string {
	var out []string
	for _, a := range as {
		out = append(out, aws.ToString(a.AttributeName)+":"+string(a.AttributeType))
	}
	return join(out)
}

func index(name *string, ks []types.KeySchemaElement, p *types.Projection) string {
	s := fmt.Sprintf("%s(%s", aws.ToString(name), keys(ks))
	if p != nil {
		s += fmt.Sprintf("; %s %s", p.ProjectionType, join(p.NonKeyAttributes))
	}
	return s + ")"
}

func join(s []string) string {
	s = slices.Clone(s)
	slices.Sort(s)
	return strings.Join(s, ",")
}

func TestParseTablesRefusesUnknownTableProperties(t *testing.T) {
	tables := map[string]map[string]any{"T": {
		"KeySchema":           []any{map[string]any{"AttributeName": "pk", "KeyType": "HASH"}},
		"StreamSpecification": map[string]any{"StreamViewType": "NEW_IMAGE"},
	}}
	if _, err := dynamo.ParseTables(tables); err == nil || !strings.Contains(err.Error(), "StreamSpecification") {
		t.Fatalf("err = %v, want StreamSpecification refused", err)
	}
}
