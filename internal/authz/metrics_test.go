package authz

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/token"
)

// Every deny is logged with its reason, never the token, and its metrics;
// allows are logged only at the sample rate and counted in aggregated EMF
// lines, written at most every MetricsFlushInterval.
func TestDecisionLogsAndMetrics(t *testing.T) {
	f, _ := token.NewFormat(token.DefaultPrefix)
	raw, p, _ := f.Generate(token.OwnerTag("u"))
	d := p.Digest()
	rec := pat.TokenOwner{
		Token: &pat.Token{ID: p.ID, UserID: "u", Digest: d[:], Status: pat.StatusActive, Scopes: []string{"crm:read"}},
		Owner: &pat.User{ID: "u", Status: pat.UserActive, Permissions: []string{"crm:read"}},
	}
	for _, sample := range []float64{0, 1} {
		t.Run("allow sample "+map[float64]string{0: "0", 1: "1"}[sample], func(t *testing.T) {
			var out bytes.Buffer
			a := newTestAuthorizer(t, memoryReader{rec})
			a.log = slog.New(slog.NewJSONHandler(&out, nil))
			a.AllowLogSample = sample
			clock := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
			a.Now = func() time.Time { return clock }
			decide := func(method, header string) {
				_, _ = a.Authorize(context.Background(), Request{Authorization: header, Method: method, Path: "/api/crm"})
			}
			decide("GET", "Bearer "+raw) // the first decision flushes: an instance reports at once
			out.Reset()
			for range 5 {
				decide("GET", "Bearer "+raw)
			}
			decide("DELETE", "Bearer "+raw)
			decide("GET", "Bearer nope")
			logs := out.String()
			wantAllows := map[float64]int{0: 0, 1: 5}[sample]
			if n := strings.Count(logs, `"Decision":"allow"`); n != wantAllows {
				t.Errorf("%d allow lines, want %d", n, wantAllows)
			}
			for _, want := range []string{`"Reason":"insufficient_scope"`, `"requiredScope":"crm:delete"`, `"Reason":"malformed_token"`, `"tokenId":"` + p.ID} {
				if !strings.Contains(logs, want) {
					t.Errorf("deny lines lack %s:\n%s", want, logs)
				}
			}
			if strings.Contains(logs, `"msg":"authorizer metrics"`) {
				t.Error("allows' metrics written before the interval passed")
			}
			if n := strings.Count(logs, `"Decisions":1,"_aws"`); n != 2 {
				t.Errorf("%d denies carry their metrics, want both:\n%s", n, logs)
			}
			clock = clock.Add(MetricsFlushInterval)
			out.Reset()
			decide("GET", "Bearer "+raw)
			metrics := out.String()
			for _, want := range []string{`"Decision":"allow","Reason":"allowed","Decisions":6`, `"Namespace":"PAT/Authorizer"`} {
				if !strings.Contains(metrics, want) {
					t.Errorf("metrics lack %s:\n%s", want, metrics)
				}
			}
			if strings.Contains(logs+metrics, raw[len(raw)-49:]) {
				t.Fatal("a log line holds the token's secret")
			}
		})
	}
}

// The self-rotation's decisions (OnlyRoute) are counted in their own
// namespace: an error of theirs must not fire the authorizer's alarms,
// which roll back the authorizer's deployments.
func TestSelfRotationDecisionsHaveTheirOwnNamespace(t *testing.T) {
	var out bytes.Buffer
	a := newTestAuthorizer(t, memoryReader{})
	a.OnlyRoute("POST", "/tokens/self/rotate", "tokens:self-rotate")
	a.log = slog.New(slog.NewJSONHandler(&out, nil))
	a.AllowLogSample = 1
	_, _ = a.Authorize(context.Background(), Request{Authorization: "Bearer nope", Method: "POST", Path: "/tokens/self/rotate"})
	logs := out.String()
	if !strings.Contains(logs, `"Namespace":"`+SelfRotationNamespace+`"`) || strings.Contains(logs, `"Namespace":"`+MetricsNamespace+`"`) {
		t.Fatalf("a self-rotation's decision is counted as: %s", logs)
	}
}
