// Package testenv is the integration tests' one harness: fresh tables in
// DynamoDB Local registered with the package's secret ledger, a
// configuration with the suite's rules, the token service wired as the
// functions wire it (internal/app), the authorizer on the same tables, and
// a clock the tests can set. Each package's harness adds only what is its
// own (events, routes, the job) on top. Test support only: nothing but
// tests imports it.
package testenv

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/app"
	"github.com/patservice/pat/internal/app/authorizer"
	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/sesmail"
)

// Rules are the token rules every integration test runs with.
var Rules = pat.Config{
	DefaultLifetime:  180 * 24 * time.Hour,
	MaxLifetime:      365 * 24 * time.Hour,
	MaxActiveTokens:  50,
	RevokedRetention: 30 * 24 * time.Hour,
	AuditRetention:   365 * 24 * time.Hour,
	LastUseInterval:  10 * time.Minute,
}

// Claims map the sign-in claims as a Cognito user pool sends them.
var Claims = config.Claims{UserID: "sub", Email: "email", Permissions: "permissions", Groups: "cognito:groups", AdminGroup: "pat-admins"}

// Env is one test's service on its own tables.
type Env struct {
	DB     *dynamodb.Client
	Tables localstack.Tables
	// Config is what Service was built from; tests may change a copy and
	// build another service with NewService.
	Config config.Config
	// Mail is the SES emulator's client (WithMail), else nil.
	Mail    sesmail.API
	Service *app.Service
	Clock   *Clock
	// Log writes what the functions' Lambda logger writes, into the
	// ledger's logs and where LogsTo says (discarded if nowhere).
	Log      *slog.Logger
	ledger   *localstack.Ledger
	logs     []io.Writer
	withMail bool
}

// An Option adjusts an Env before its service is built.
type Option func(*Env)

// WithMail sends mail through the SES emulator.
func WithMail() Option { return func(e *Env) { e.withMail = true } }

// LogsTo has the Env's logger write to w too, for a test that reads the
// lines its own calls wrote.
func LogsTo(w io.Writer) Option { return func(e *Env) { e.logs = append(e.logs, w) } }

// Configure changes the configuration before the service is built.
func Configure(f func(*config.Config)) Option { return func(e *Env) { f(&e.Config) } }

// New creates fresh tables, registers them with ledger (nil: a test that
// issues no token) and builds the service on them. Without the local stack
// the test is skipped.
func New(tb testing.TB, ledger *localstack.Ledger, opts ...Option) *Env {
	tb.Helper()
	db := localstack.Client(tb)
	tables := localstack.MustTables(tb, db)
	e := &Env{DB: db, Tables: tables, Clock: &Clock{}, ledger: ledger}
	if ledger != nil {
		ledger.AddTables(db, tables)
		e.logs = append(e.logs, &ledger.Logs)
	}
	e.Config = config.Config{
		TokensTable: tables.Tokens, AuditTable: tables.Audit, TokenPrefix: "pat", Realm: "pat",
		Rules: Rules, Claims: Claims,
		CursorKey: []byte("integration tests: a cursor key of 32+ bytes"),
	}
	for _, o := range opts {
		o(e)
	}
	// The functions' logger, as Lambda runs it: a test reads "message".
	e.Log = localstack.LambdaLogger(io.MultiWriter(e.logs...))
	if e.withMail {
		ses, err := sesmail.NewClient()
		if err != nil {
			tb.Fatal(err)
		}
		e.Mail = ses
	}
	e.Service = e.NewService(tb, e.Config, db, e.Mail)
	return e
}

// NewService builds another service on the Env's clock, from cfg and
// clients (one that fails, another mail client, another cursor key...).
func (e *Env) NewService(tb testing.TB, cfg config.Config, db dynamo.API, mail sesmail.API) *app.Service {
	tb.Helper()
	svc, err := app.NewService(cfg, db, mail, e.Log)
	if err != nil {
		tb.Fatal(err)
	}
	svc.Now = e.Clock.Now
	return svc
}

// Create creates a token through the service (named "test" unless in
// names it) and records its secret in the ledger.
func (e *Env) Create(tb testing.TB, id pat.Identity, in pat.CreateInput) pat.Created {
	tb.Helper()
	if in.Name == "" {
		in.Name = "test"
	}
	c, err := e.Service.CreateToken(context.Background(), id, in)
	if err != nil {
		tb.Fatal(err)
	}
	e.AddToken(c.Secret)
	return c
}

// AddToken records a plaintext token the test was given.
func (e *Env) AddToken(secret string) {
	if e.ledger != nil {
		e.ledger.AddToken(secret)
	}
}

// AuthorizerConfig is the authorizer's configuration on the Env's tables,
// with the deployed defaults but a deadline of 5 s: a loaded test machine
// is not what the 1 s deadline is about (the failure tests set their own).
func (e *Env) AuthorizerConfig() config.Authorizer {
	return config.Authorizer{TokensTable: e.Tables.Tokens, AuditTable: e.Tables.Audit, TokenPrefix: e.Config.TokenPrefix,
		LastUseInterval: 10 * time.Minute, Timeout: 5 * time.Second, Realm: "pat",
		AuditRetention: e.Config.Rules.AuditRetention}
}

// Authorizer wires the authorizer as its function does, on db (the real
// client, one that counts or one that fails) and the Env's clock.
func (e *Env) Authorizer(tb testing.TB, cfg config.Authorizer, db dynamo.AuthAPI) *authz.Authorizer {
	tb.Helper()
	a, err := authorizer.New(cfg, db, e.Log)
	if err != nil {
		tb.Fatal(err)
	}
	a.Now = e.Clock.Now
	return a
}

// SetAttr sets a string attribute of an item of the tokens table directly,
// behind the service's back.
func (e *Env) SetAttr(tb testing.TB, key map[string]types.AttributeValue, attr, value string) {
	tb.Helper()
	_, err := e.DB.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(e.Tables.Tokens), Key: key,
		UpdateExpression:          aws.String("SET #a = :v"),
		ExpressionAttributeNames:  map[string]string{"#a": attr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: value}},
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// TokenKey is the key of a token's item.
func TokenKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "TOKEN#" + id}, "sk": &types.AttributeValueMemberS{Value: "TOKEN"}}
}

// Clock is the services' clock: the real time until a test sets it, then
// that time until it is set or advanced again.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now.IsZero() {
		return time.Now()
	}
	return c.now
}

// Set stops the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves a set clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Counting wraps a client to count what the authorizer asks of DynamoDB:
// reads, last-use writes tried and last-use writes done (a refresh is two:
// the token and its entry in the last-use order).
type Counting struct {
	dynamo.AuthAPI
	Reads, Writes, WritesDone atomic.Int64
}

func (c *Counting) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.Reads.Add(1)
	return c.AuthAPI.GetItem(ctx, in, o...)
}

func (c *Counting) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.Writes.Add(1)
	out, err := c.AuthAPI.UpdateItem(ctx, in, o...)
	if err == nil {
		c.WritesDone.Add(1)
	}
	return out, err
}

func (c *Counting) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.Writes.Add(1)
	out, err := c.AuthAPI.TransactWriteItems(ctx, in, o...)
	if err == nil {
		c.WritesDone.Add(1)
	}
	return out, err
}

// Tamper changes the last character of a token (its checksum's) to
// another one: a token of the right shape that fails its checksum.
func Tamper(s string) string {
	last := byte('0')
	if s[len(s)-1] == '0' {
		last = '1'
	}
	return s[:len(s)-1] + string(last)
}
