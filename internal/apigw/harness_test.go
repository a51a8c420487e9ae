package apigw_test

import (
	"context"
	"crypto/rand"
	"hash/crc32"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/apigw"
	"github.com/patservice/pat/internal/app"
	"github.com/patservice/pat/internal/app/authorizer"
	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/dynamotest"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/token"
)

// Checked after the whole suite: no table item and no log line holds any
// part of a token.
var ledger dynamotest.Ledger

func TestMain(m *testing.M) { os.Exit(ledger.Main(m)) }

// counting wraps the real client to count what the authorizer asks.
type counting struct {
	dynamo.AuthAPI
	reads, writes, writesDone atomic.Int64
}

func (c *counting) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.reads.Add(1)
	return c.AuthAPI.GetItem(ctx, in, o...)
}

func (c *counting) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.writes.Add(1)
	out, err := c.AuthAPI.UpdateItem(ctx, in, o...)
	if err == nil {
		c.writesDone.Add(1)
	}
	return out, err
}

type env struct {
	db      *dynamodb.Client
	tables  dynamotest.Tables
	svc     *pat.Service
	count   *counting
	authz   *authz.Authorizer
	handler *apigw.Handler
	mu      sync.Mutex
	now     time.Time
}

var alice = pat.Identity{UserID: "user-alice", Email: "alice@example.com", Permissions: []string{"crm:read", "crm:update", "orders:read"}}

func newEnv(t testing.TB) *env {
	t.Helper()
	db := dynamotest.Client(t)
	tables := dynamotest.MustTables(t, db)
	ledger.AddTables(db, tables)
	log := slog.New(slog.NewJSONHandler(&ledger.Logs, nil))
	e := &env{db: db, tables: tables, count: &counting{AuthAPI: db}, now: time.Now().UTC().Truncate(time.Second)} // real time: DynamoDB Local applies TTL
	cfg := config.Config{TokensTable: tables.Tokens, AuditTable: tables.Audit, TokenPrefix: "pat", Rules: pat.Config{
		DefaultLifetime: 180 * 24 * time.Hour, MaxLifetime: 365 * 24 * time.Hour, MaxActiveTokens: 50,
		RevokedRetention: 30 * 24 * time.Hour, AuditRetention: 365 * 24 * time.Hour}}
	svc, err := app.NewService(cfg, db, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	svc.Now = e.clock
	e.svc = svc.Service
	e.useDB(t, e.count)
	return e
}

// useDB points the authorizer at a client (the real one, or a failing one).
func (e *env) useDB(t testing.TB, db dynamo.AuthAPI) {
	t.Helper()
	a, err := authorizer.New(config.Authorizer{TokensTable: e.tables.Tokens, TokenPrefix: "pat",
		LastUseInterval: 10 * time.Minute, Timeout: time.Second, Realm: "pat"}, db, slog.New(slog.NewJSONHandler(&ledger.Logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	a.Now = e.clock
	e.authz, e.handler = a, apigw.New(a)
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

func (e *env) create(t testing.TB, id pat.Identity, in pat.CreateInput) pat.Created {
	t.Helper()
	if in.Name == "" {
		in.Name = "test"
	}
	c, err := e.svc.Create(context.Background(), id, in)
	if err != nil {
		t.Fatal(err)
	}
	ledger.AddToken(c.Secret)
	return c
}

// set changes attributes of an item directly, as an administrator would.
func (e *env) set(t testing.TB, key map[string]types.AttributeValue, attr, value string) {
	t.Helper()
	_, err := e.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(e.tables.Tokens), Key: key,
		UpdateExpression:          aws.String("SET #a = :v"),
		ExpressionAttributeNames:  map[string]string{"#a": attr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: value}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func tokenKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "TOKEN#" + id}, "sk": &types.AttributeValueMemberS{Value: "TOKEN"}}
}

func ownerKey(userID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "OWNER#" + token.OwnerTag(userID)}, "sk": &types.AttributeValueMemberS{Value: "USER"}}
}

// tamper changes the last character of s (the checksum's) to another one.
func tamper(s string) string {
	last := byte('0')
	if s[len(s)-1] == '0' {
		last = '1'
	}
	return s[:len(s)-1] + string(last)
}

// forge returns a well-formed token (valid checksum) with a real id and a
// secret that is not the token's.
func forge(id string) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	secret := []byte(strings.Repeat("x", token.SecretLen))
	rand.Read(secret)
	for i := range secret {
		secret[i] = alphabet[int(secret[i])%62]
	}
	body := "pat_" + id + "_" + string(secret)
	v := uint64(crc32.ChecksumIEEE([]byte(body)))
	sum := make([]byte, token.ChecksumLen)
	for i := len(sum) - 1; i >= 0; i-- {
		sum[i] = alphabet[v%62]
		v /= 62
	}
	return body + string(sum)
}

// request is one API call in both event versions.
type request struct {
	header       string // "" sends no Authorization header
	method, path string
	stage        string // HTTP API stage; "" is $default
	queryToken   string // a token in the query string (access_token), which is refused
	twoHeaders   bool
}

func (e *env) restEvent(t testing.TB, r request) events.APIGatewayCustomAuthorizerRequestTypeRequest {
	ev := dynamotest.Event[events.APIGatewayCustomAuthorizerRequestTypeRequest](t, "authorizer-rest")
	delete(ev.Headers, "Authorization")
	delete(ev.MultiValueHeaders, "Authorization")
	if r.header != "" {
		ev.Headers["Authorization"] = r.header
		ev.MultiValueHeaders["Authorization"] = []string{r.header}
		if r.twoHeaders {
			ev.MultiValueHeaders["Authorization"] = []string{r.header, r.header}
		}
	}
	if r.queryToken != "" {
		ev.QueryStringParameters["access_token"] = r.queryToken
	}
	ev.HTTPMethod, ev.Path = r.method, r.path
	ev.MethodArn = "arn:aws:execute-api:eu-central-1:123456789012:abc123/demo/" + r.method + r.path
	return ev
}

func (e *env) httpEvent(t testing.TB, r request) events.APIGatewayV2CustomAuthorizerV2Request {
	ev := dynamotest.Event[events.APIGatewayV2CustomAuthorizerV2Request](t, "authorizer-http")
	delete(ev.Headers, "authorization")
	ev.IdentitySource = nil
	if r.header != "" {
		ev.Headers["authorization"] = r.header
		if r.twoHeaders {
			ev.Headers["authorization"] = r.header + "," + r.header
		}
		ev.IdentitySource = []string{ev.Headers["authorization"]}
	}
	if r.queryToken != "" {
		ev.QueryStringParameters["access_token"] = r.queryToken
	}
	ev.RequestContext.HTTP.Method, ev.RawPath = r.method, r.path
	if r.stage != "" {
		ev.RequestContext.Stage, ev.RawPath = r.stage, "/"+r.stage+r.path
	}
	return ev
}
