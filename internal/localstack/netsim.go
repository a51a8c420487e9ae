package localstack

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/patservice/pat/internal/awsclient"
)

// RemoteClient returns a DynamoDB client that reaches DynamoDB Local the
// way a Lambda function reaches DynamoDB: over TLS (a loopback proxy with
// its own certificate, connections kept alive) and a network round trip of
// rtt, added once per request. DynamoDB Local answers in a fraction of a
// millisecond on loopback, so relative costs measured directly against it
// overstate what work beside the request costs; through this proxy a
// benchmark sees the proportions a function in AWS sees.
func RemoteClient(tb testing.TB, rtt time.Duration) *dynamodb.Client {
	tb.Helper()
	Client(tb) // skips without the local stack
	target := os.Getenv("AWS_ENDPOINT_URL_DYNAMODB")
	upstream := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	proxy := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(rtt)
		req, err := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		forward(w, req, upstream)
	}))
	tb.Cleanup(proxy.Close)
	cfg, err := awsclient.Config()
	if err != nil {
		tb.Fatal(err)
	}
	cfg.HTTPClient = proxy.Client()
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(proxy.URL)
		o.DisableValidateResponseChecksum = true
	})
}
