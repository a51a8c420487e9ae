package iamcheck_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/smithy-go"

	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/iamcheck"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/samstack"
)

const mailFrom = "pat@example.com"

// loadStack is the template as deployed, its tables named tokens and
// audit.
func loadStack(tb testing.TB, tokens, audit string) *samstack.Stack {
	tb.Helper()
	return loadStackWithSecret(tb, tokens, audit, "arn:aws:secretsmanager:us-east-1:000000000000:secret:cursor-key-AbCdEf")
}

// loadStackWithSecret is loadStack with the cursor key's secret at
// secretARN (the Ref of CursorKeySecret).
func loadStackWithSecret(tb testing.TB, tokens, audit, secretARN string) *samstack.Stack {
	tb.Helper()
	localstack.RequireSAMTranslator(tb)
	s, err := samstack.Load(localstack.RepoRoot(tb), samstack.Local{
		Names:  map[string]string{"TokensTable": tokens, "AuditTable": audit, "CursorKeySecret": secretARN},
		Params: map[string]string{"MailFrom": mailFrom},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// stub stands in for DynamoDB Local or the SES emulator: it answers every
// call with an empty success and counts what reached it.
type stub struct {
	*httptest.Server
	mu    sync.Mutex
	calls int
}

func newStub(tb testing.TB, contentType, body string) *stub {
	s := &stub{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls++
		s.mu.Unlock()
		w.Header().Set("Content-Type", contentType)
		w.Write([]byte(body))
	}))
	tb.Cleanup(s.Close)
	return s
}

func (s *stub) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// As signs as a function does: its logical id is the access key id.
func dynamoAs(fn, endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(fn, "any secret", "")})
}

func sesAs(fn, endpoint string) *ses.Client {
	return ses.New(ses.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(fn, "any secret", "")})
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": s(pk), "sk": s(sk)}
}

func mailFromAs(source string) *ses.SendEmailInput {
	return &ses.SendEmailInput{
		Source:      aws.String(source),
		Destination: &sestypes.Destination{ToAddresses: []string{"owner@example.com"}},
		Message: &sestypes.Message{Subject: &sestypes.Content{Data: aws.String("s")},
			Body: &sestypes.Body{Text: &sestypes.Content{Data: aws.String("b")}}},
	}
}

// Each function's calls, checked against its policy in template.yaml
// after the SAM transform: what its policy allows reaches the service,
// the rest is answered as AWS answers it and reaches nothing.
func TestTemplatePolicies(t *testing.T) {
	const tokens, audit = "tokens-t", "audit-t"
	const tokensARN = "arn:aws:dynamodb:us-east-1:000000000000:table/" + tokens
	stack := loadStack(t, tokens, audit)
	db := newStub(t, "application/x-amz-json-1.0", "{}")
	mail := newStub(t, "text/xml", `<SendEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendEmailResult><MessageId>m</MessageId></SendEmailResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></SendEmailResponse>`)
	proxy := iamcheck.Start(t, stack, db.URL, mail.URL)
	ctx := context.Background()

	type refused struct{ code, action, resource string }
	cases := []struct {
		name string
		fn   string
		call func(*dynamodb.Client, *ses.Client) error
		want *refused // nil: allowed
	}{
		{"create-token reads the caller's user record", "CreateTokenFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tokens), Key: key("OWNER#abc", "USER"), ConsistentRead: aws.Bool(true)})
			return err
		}, nil},
		{"create-token may not delete", "CreateTokenFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(tokens), Key: key("TOKEN#abc", "TOKEN")})
			return err
		}, &refused{"AccessDeniedException", "dynamodb:DeleteItem", tokensARN}},
		{"create-token may not read the audit table", "CreateTokenFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(audit), Key: key("TOKEN#abc", "x")})
			return err
		}, &refused{"AccessDeniedException", "dynamodb:GetItem", "table/" + audit}},
		{"get-token may not mail", "GetTokenFunction", func(_ *dynamodb.Client, m *ses.Client) error {
			_, err := m.SendEmail(ctx, mailFromAs(mailFrom))
			return err
		}, &refused{"AccessDenied", "ses:SendEmail", "arn:aws:ses:us-east-1:000000000000:identity/" + mailFrom}},

		{"the authorizer records a use (its own adapter: the token and its last-use entry)", "AuthorizerFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			now := time.Now()
			return dynamo.NewAuthReader(c, tokens, audit).RecordUse(ctx, "abc", pat.Use{At: now, SourceIP: "192.0.2.1", UserAgent: "curl"}, now.Add(-time.Hour))
		}, nil},
		{"the authorizer may not move a token in the list by creation", "AuthorizerFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(tokens), Key: key("TOKEN#abc", "TOKEN"),
				UpdateExpression: aws.String("SET listSk = :sk"), ExpressionAttributeValues: map[string]types.AttributeValue{":sk": s("0#abc")}})
			return err
		}, &refused{"AccessDeniedException", "dynamodb:UpdateItem", tokensARN}},
		{"the authorizer may not move its entry to another order", "AuthorizerFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(tokens), Key: key("TOKSORT#abc", "used"),
				UpdateExpression: aws.String("SET listPk = :pk"), ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("TOK#created")}})
			return err
		}, &refused{"AccessDeniedException", "dynamodb:UpdateItem", tokensARN}},
		{"the authorizer reads a token", "AuthorizerFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tokens), Key: key("TOKEN#abc", "TOKEN"), ConsistentRead: aws.Bool(true)})
			return err
		}, nil},
		{"the authorizer may not touch status", "AuthorizerFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(tokens), Key: key("TOKEN#abc", "TOKEN"),
				UpdateExpression: aws.String("SET lastUsedAt = :at, #s = :s"), ExpressionAttributeNames: map[string]string{"#s": "status"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":at": s("2026-01-01T00:00:00Z"), ":s": s("active")}})
			return err
		}, &refused{"AccessDeniedException", "dynamodb:UpdateItem", tokensARN}},
		{"the authorizer may not condition on status", "AuthorizerFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(tokens), Key: key("TOKEN#abc", "TOKEN"),
				UpdateExpression: aws.String("SET lastUsedAt = :at"), ConditionExpression: aws.String("#s = :s"),
				ExpressionAttributeNames:  map[string]string{"#s": "status"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":at": s("2026-01-01T00:00:00Z"), ":s": s("active")}})
			return err
		}, &refused{"AccessDeniedException", "dynamodb:UpdateItem", tokensARN}},
		{"the authorizer may not read the whole item back", "AuthorizerFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(tokens), Key: key("TOKEN#abc", "TOKEN"),
				UpdateExpression: aws.String("SET lastUsedAt = :at"), ReturnValues: types.ReturnValueAllNew,
				ExpressionAttributeValues: map[string]types.AttributeValue{":at": s("2026-01-01T00:00:00Z")}})
			return err
		}, &refused{"AccessDeniedException", "dynamodb:UpdateItem", tokensARN}},
		{"the authorizer may not put", "AuthorizerFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tokens), Item: map[string]types.AttributeValue{"pk": s("TOKEN#abc"), "sk": s("TOKEN"), "lastUsedAt": s("x")}})
			return err
		}, &refused{"AccessDeniedException", "dynamodb:PutItem", tokensARN}},

		{"lock: token, audit record and a sent notice in one transaction", "AdminLockTokenFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Update: &types.Update{TableName: aws.String(tokens), Key: key("TOKEN#abc", "TOKEN"), UpdateExpression: aws.String("SET #s = :s"),
					ExpressionAttributeNames: map[string]string{"#s": "status"}, ExpressionAttributeValues: map[string]types.AttributeValue{":s": s("locked")}}},
				{Put: &types.Put{TableName: aws.String(audit), Item: key("TOKEN#abc", "EVENT#1"), ConditionExpression: aws.String("attribute_not_exists(pk)")}},
				{Delete: &types.Delete{TableName: aws.String(tokens), Key: key("NOTICE#n1", "NOTICE")}},
			}})
			return err
		}, nil},
		{"lock: a transaction with one item outside the policy is refused whole", "AdminLockTokenFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Update: &types.Update{TableName: aws.String(tokens), Key: key("TOKEN#abc", "TOKEN"), UpdateExpression: aws.String("SET #s = :s"),
					ExpressionAttributeNames: map[string]string{"#s": "status"}, ExpressionAttributeValues: map[string]types.AttributeValue{":s": s("locked")}}},
				{Put: &types.Put{TableName: aws.String(audit), Item: key("TOKEN#abc", "EVENT#1")}},
				{Delete: &types.Delete{TableName: aws.String(tokens), Key: key("TOKEN#other", "TOKEN")}},
			}})
			return err
		}, &refused{"AccessDeniedException", "dynamodb:DeleteItem", tokensARN}},
		{"lock: a transaction may not condition-check what it may not read", "AdminLockTokenFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{ConditionCheck: &types.ConditionCheck{TableName: aws.String(tokens), Key: key("OWNER#abc", "USER"), ConditionExpression: aws.String("attribute_exists(pk)")}},
				{Put: &types.Put{TableName: aws.String(audit), Item: key("TOKEN#abc", "EVENT#1")}},
			}})
			return err
		}, &refused{"AccessDeniedException", "dynamodb:ConditionCheckItem", tokensARN}},
		{"lock deletes a sent notice", "AdminLockTokenFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(tokens), Key: key("NOTICE#n1", "NOTICE")})
			return err
		}, nil},
		{"lock may not delete a token", "AdminLockTokenFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(tokens), Key: key("TOKEN#abc", "TOKEN")})
			return err
		}, &refused{"AccessDeniedException", "dynamodb:DeleteItem", tokensARN}},
		{"lock mails from MailFrom", "AdminLockTokenFunction", func(_ *dynamodb.Client, m *ses.Client) error {
			_, err := m.SendEmail(ctx, mailFromAs(mailFrom))
			return err
		}, nil},

		{"the job mails from MailFrom with a display name", "LifecycleFunction", func(_ *dynamodb.Client, m *ses.Client) error {
			in := mailFromAs("Access tokens <" + mailFrom + ">")
			in.ConfigurationSetName = aws.String("pat-mail")
			_, err := m.SendEmail(ctx, in)
			return err
		}, nil},
		{"the job may not mail from another address", "LifecycleFunction", func(_ *dynamodb.Client, m *ses.Client) error {
			_, err := m.SendEmail(ctx, mailFromAs("someone@example.com"))
			return err
		}, &refused{"AccessDenied", "ses:SendEmail", "identity/someone@example.com"}},
		{"the job may not send raw mail", "LifecycleFunction", func(_ *dynamodb.Client, m *ses.Client) error {
			_, err := m.SendRawEmail(ctx, &ses.SendRawEmailInput{Source: aws.String(mailFrom),
				RawMessage: &sestypes.RawMessage{Data: []byte("From: " + mailFrom + "\r\nTo: owner@example.com\r\nSubject: s\r\n\r\nb")}})
			return err
		}, &refused{"AccessDenied", "ses:SendRawEmail", "identity/" + mailFrom}},
		{"the job queries the due index", "LifecycleFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(tokens), IndexName: aws.String("byDue"),
				KeyConditionExpression: aws.String("dueDay = :d AND dueAt <= :t"), ExpressionAttributeValues: map[string]types.AttributeValue{":d": s("2026-01-01"), ":t": s("x")}})
			return err
		}, nil},
		{"the job may not query owners' tokens", "LifecycleFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(tokens), IndexName: aws.String("byOwner"),
				KeyConditionExpression: aws.String("ownerPk = :o"), ExpressionAttributeValues: map[string]types.AttributeValue{":o": s("OWNER#abc")}})
			return err
		}, &refused{"AccessDeniedException", "dynamodb:Query", tokensARN + "/index/byOwner"}},

		{"list queries the owner index", "ListTokensFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(tokens), IndexName: aws.String("byOwner"),
				KeyConditionExpression: aws.String("ownerPk = :o"), ExpressionAttributeValues: map[string]types.AttributeValue{":o": s("OWNER#abc")}})
			return err
		}, nil},
		{"list may not scan", "ListTokensFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(tokens)})
			return err
		}, &refused{"AccessDeniedException", "dynamodb:Scan", tokensARN}},
		{"list may not query the table itself", "ListTokensFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(tokens),
				KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("OWNER#abc")}})
			return err
		}, &refused{"AccessDeniedException", "dynamodb:Query", tokensARN}},
		{"get may not batch-read", "GetTokenFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{tokens: {Keys: []map[string]types.AttributeValue{key("TOKEN#a", "TOKEN")}}}})
			return err
		}, &refused{"AccessDeniedException", "dynamodb:BatchGetItem", tokensARN}},
		// The list completes a page from the owner index with the tokens' allowed sources.
		{"list batch-reads tokens", "ListTokensFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{tokens: {Keys: []map[string]types.AttributeValue{key("TOKEN#a", "TOKEN")}}}})
			return err
		}, nil},
		{"the audit log is queried by any of its indexes", "AdminListAuditFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(audit), IndexName: aws.String("byActor"),
				KeyConditionExpression: aws.String("actorId = :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":a": s("user-1")}})
			return err
		}, nil},
		{"a function may not describe its table", "GetTokenFunction", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tokens)})
			return err
		}, &refused{"AccessDeniedException", "dynamodb:DescribeTable", tokensARN}},
		{"an access key id that names no function", "local", func(c *dynamodb.Client, _ *ses.Client) error {
			_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tokens), Key: key("TOKEN#abc", "TOKEN")})
			return err
		}, &refused{"UnrecognizedClientException", "", ""}},
	}
	// Calls an allowed case sends, when not one.
	sends := map[string]int{"the authorizer records a use (its own adapter: the token and its last-use entry)": 2}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := db.count() + mail.count()
			err := tc.call(dynamoAs(tc.fn, proxy.DynamoDBURL), sesAs(tc.fn, proxy.SESURL))
			reached := db.count() + mail.count() - before
			got := proxy.TakeRefusals()
			if tc.want == nil {
				if err != nil || len(got) > 0 || reached != max(sends[tc.name], 1) {
					t.Fatalf("want allowed and forwarded; error %v, refusals %v, %d calls reached the service", err, got, reached)
				}
				return
			}
			if reached != 0 {
				t.Errorf("a refused call reached the service")
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.want.code {
				t.Fatalf("error %v, want %s", err, tc.want.code)
			}
			if tc.want.action == "" {
				return
			}
			msg := apiErr.ErrorMessage()
			if !strings.HasPrefix(msg, "User: arn:aws:sts::000000000000:assumed-role/pat-"+tc.fn+"Role/"+tc.fn+" is not authorized to perform: "+tc.want.action+" on resource: ") ||
				!strings.Contains(msg, tc.want.resource) || !strings.HasSuffix(msg, "because no identity-based policy allows the "+tc.want.action+" action") {
				t.Errorf("message %q", msg)
			}
			if !slices.ContainsFunc(got, func(d iamcheck.Decision) bool {
				return d.Function == tc.fn && d.Action == tc.want.action && strings.Contains(d.Resource, tc.want.resource)
			}) {
				t.Errorf("refusals recorded: %v", got)
			}
		})
	}
}

// Every item of a refused transaction is decided and recorded, and the
// one outside the policy is named.
func TestTransactionDecidedPerItem(t *testing.T) {
	stack := loadStack(t, "tokens-t", "audit-t")
	db := newStub(t, "application/x-amz-json-1.0", "{}")
	proxy := iamcheck.Start(t, stack, db.URL, "")
	c := dynamoAs("RevokeTokenFunction", proxy.DynamoDBURL)
	_, err := c.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String("tokens-t"), Key: key("TOKEN#abc", "TOKEN"), UpdateExpression: aws.String("SET revokedAt = :t"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": s("now")}}},
		{Put: &types.Put{TableName: aws.String("tokens-t"), Item: key("NOTICE#n", "NOTICE")}},
		{Put: &types.Put{TableName: aws.String("audit-t"), Item: key("TOKEN#abc", "EVENT#1")}},
	}})
	if err == nil {
		t.Fatal("a transaction putting a notice as revoke-token was allowed")
	}
	var got []string
	for _, d := range proxy.TakeRefusals() {
		got = append(got, d.Call)
	}
	decisions := proxy.Decisions()
	if len(decisions) != 3 || !decisions[0].Allowed || decisions[1].Allowed || !decisions[2].Allowed ||
		!slices.Equal(got, []string{"TransactWriteItems item 1 (Put)"}) {
		t.Errorf("decisions %v", decisions)
	}
}

// The report names, per function, the grants no call used; a call uses
// exactly the grant that allowed it.
func TestUnusedGrants(t *testing.T) {
	stack := loadStack(t, "tokens-t", "audit-t")
	db := newStub(t, "application/x-amz-json-1.0", "{}")
	proxy := iamcheck.Start(t, stack, db.URL, "")
	c := dynamoAs("ListTokensFunction", proxy.DynamoDBURL)
	if _, err := c.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String("tokens-t"), IndexName: aws.String("byOwner"),
		KeyConditionExpression: aws.String("ownerPk = :o"), ExpressionAttributeValues: map[string]types.AttributeValue{":o": &types.AttributeValueMemberS{Value: "OWNER#a"}}}); err != nil {
		t.Fatal(err)
	}
	var list, getToken []iamcheck.Unused
	for _, u := range proxy.Unused() {
		if u.Action == "secretsmanager:GetSecretValue" {
			continue // the cursor key's, which no DynamoDB call uses: TestCursorKeyUnderTheTemplatesPolicies
		}
		switch u.Function {
		case "ListTokensFunction":
			list = append(list, u)
		case "GetTokenFunction":
			getToken = append(getToken, u)
		}
	}
	if len(list) != 1 || list[0].Action != "dynamodb:BatchGetItem" || !list[0].Called {
		t.Errorf("ListTokensFunction's unused grants: %v", list)
	}
	if len(getToken) != 1 || getToken[0].Called || getToken[0].Action != "dynamodb:GetItem" {
		t.Errorf("GetTokenFunction's unused grants: %v", getToken)
	}
	if report := proxy.Report(); !strings.Contains(report, "ListTokensFunction statement 1: dynamodb:BatchGetItem on arn:aws:dynamodb:us-east-1:000000000000:table/tokens-t") {
		t.Errorf("report:\n%s", report)
	}
}
