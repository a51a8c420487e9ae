package apigw_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/apigw"
	"github.com/patservice/pat/internal/awsclient"
	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/pat"
)

// failing answers GetItem as told; DynamoDB Local cannot throttle.
type failing struct {
	dynamo.AuthAPI
	get func(context.Context, *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error)
}

var _ dynamo.AuthAPI = (*failing)(nil)

func (f *failing) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return f.get(ctx, in)
}

// With DynamoDB failing in any way, no request is ever allowed: the
// authorizer errs, which API Gateway answers with 500.
func TestFailsClosed(t *testing.T) {
	e := newEnv(t)
	c := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	real := e.DB
	cases := map[string]func(context.Context, *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error){
		"error": func(context.Context, *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
			return nil, errors.New("connection reset")
		},
		"throttled": func(context.Context, *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
			return nil, &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}
		},
		"timeout": func(ctx context.Context, _ *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		},
		"unreadable item": func(ctx context.Context, in *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
			out, err := real.GetItem(ctx, in)
			if err != nil {
				return nil, err // a slow machine: still an error, still never an allow
			}
			if out.Item != nil {
				out.Item["createdAt"] = &types.AttributeValueMemberN{Value: "1"}
			}
			return out, nil
		},
		"unreadable owner state": func(ctx context.Context, in *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
			out, err := real.GetItem(ctx, in)
			if err != nil {
				return nil, err
			}
			if out.Item != nil {
				out.Item["ownerRev"] = &types.AttributeValueMemberS{Value: "one"}
			}
			return out, nil
		},
	}
	for name, get := range cases {
		t.Run(name, func(t *testing.T) {
			e.useDB(t, &failing{AuthAPI: real, get: get})
			e.authz.Timeout = 100 * time.Millisecond
			assertNeverAllowed(t, e, c.Secret)
		})
	}
}

// The real SDK against a DynamoDB that does not answer: the decision's
// deadline ends it, and nothing is allowed.
func TestFailsClosedOnHangingDatabase(t *testing.T) {
	e := newEnv(t)
	c := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
	}))
	defer hang.Close()
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", hang.URL)
	db, err := awsclient.DynamoDB(func(o *dynamodb.Options) { o.RetryMaxAttempts = 2 })
	if err != nil {
		t.Fatal(err)
	}
	e.useDB(t, db)
	e.authz.Timeout = 200 * time.Millisecond
	start := time.Now()
	assertNeverAllowed(t, e, c.Secret)
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("two decisions took %v against a hanging database", took)
	}
}

func assertNeverAllowed(t *testing.T, e *env, secret string) {
	t.Helper()
	ctx := context.Background()
	req := request{header: "Bearer " + secret, method: "GET", path: "/api/crm"}
	resp, err := e.handler.REST(ctx, e.restEvent(t, req))
	if err == nil || errors.Is(err, apigw.ErrUnauthorized) || len(resp.PolicyDocument.Statement) > 0 {
		t.Fatalf("REST: %+v %v; want an error (500)", resp, err)
	}
	hresp, err := e.handler.HTTP(ctx, e.httpEvent(t, req))
	if err == nil || hresp.IsAuthorized {
		t.Fatalf("HTTP: %+v %v; want an error (500)", hresp, err)
	}
}
