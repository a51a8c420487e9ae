package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/leak"
	"github.com/patservice/pat/internal/pat"
)

// LeakVerifier checks that a report comes from the secret scanner: leak.Keys.
type LeakVerifier interface {
	Verify(ctx context.Context, body []byte, keyID, sig string) error
}

var _ LeakVerifier = (*leak.Keys)(nil)

// SetLeakVerifier makes the API take secret scanners' reports signed by
// the keys v trusts. Without one it trusts no key: every report is 401
// (the local server, whose reports nobody signs; the function itself
// requires LEAK_REPORT_KEYS_URL).
func (a *API) SetLeakVerifier(v LeakVerifier) { a.leaks = v }

// noKeys trusts no key.
type noKeys struct{}

func (noKeys) Verify(context.Context, []byte, string, string) error { return leak.ErrUnknownKey }

// ReportLeaks: POST /leaks/github, GitHub's secret-scanning partner
// format. No JWT: the report is authenticated by its signature, checked
// over the raw body before anything is read from it. The answer is
// GitHub's feedback, one verdict per entry.
func (a *API) ReportLeaks(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	body, entries, err := a.leakReport(ctx, req)
	if err != nil {
		return a.problemFor(ctx, req, err), nil
	}
	found := make([]pat.FoundToken, len(entries))
	for i, e := range entries {
		found[i] = pat.FoundToken{Token: e.Token, Leak: pat.Leak{URL: e.URL, Source: e.Source}}
	}
	digest := sha256.Sum256(body)
	ours, err := a.svc.ReportLeaks(ctx, digest[:], found, consoleURL(req.RequestContext))
	if err != nil {
		return a.problemFor(ctx, req, err), nil
	}
	verdicts := make([]leak.Verdict, len(entries))
	n := 0
	for i, e := range entries {
		verdicts[i] = leak.Verdict{TokenRaw: e.Token, TokenType: e.Type, Label: leak.FalsePositive}
		if ours[i] {
			verdicts[i].Label, n = leak.TruePositive, n+1
		}
	}
	a.log.InfoContext(ctx, "leak report", "entries", len(entries), "ours", n)
	out, err := encodeJSON(verdicts)
	if err != nil {
		return a.problemFor(ctx, req, err), nil
	}
	return respond(200, "application/json", out), nil
}

// leakReport reads a report: its raw body, refused unless signed by a
// trusted key, then its entries.
func (a *API) leakReport(ctx context.Context, req events.APIGatewayV2HTTPRequest) ([]byte, []leak.Entry, error) {
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
			return nil, nil, pat.Errorf(pat.CodeInvalid, "body: not valid base64")
		}
	}
	if len(body) > leak.MaxBodyBytes {
		return nil, nil, pat.Errorf(pat.CodeBodyTooLarge, "body: at most %d bytes", leak.MaxBodyBytes)
	}
	err := a.leaks.Verify(ctx, body, header(req, leak.HeaderKeyID), header(req, leak.HeaderSignature))
	switch {
	case errors.Is(err, leak.ErrUnsigned), errors.Is(err, leak.ErrUnknownKey):
		a.log.WarnContext(ctx, "leak report refused", "error", err)
		return nil, nil, pat.Errorf(pat.CodeUnauthenticated, "the report is not signed by a published key (%s, %s)", leak.HeaderKeyID, leak.HeaderSignature)
	case err != nil:
		return nil, nil, err
	}
	entries, err := leak.Parse(body)
	switch {
	case errors.Is(err, leak.ErrTooLarge):
		return nil, nil, pat.Errorf(pat.CodeBodyTooLarge, "body: at most %d bytes", leak.MaxBodyBytes)
	case err != nil:
		return nil, nil, pat.Errorf(pat.CodeInvalid, "body: %s; want a JSON array of at most %d {token, type, url, source}", err.Error(), leak.MaxEntries)
	}
	return body, entries, nil
}

type leakRequest struct {
	URL  string `json:"url"`
	Note string `json:"note"`
}

// ReportLeakedToken: POST /tokens/{id}/leaked {url?, note?}.
func (a *API) ReportLeakedToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		var body leakRequest
		if err := optionalBody(req, &body); err != nil {
			return 0, nil, err
		}
		t, err := a.svc.ReportLeakedToken(ctx, id, req.PathParameters["id"], pat.LeakInput(body))
		return 200, a.tokenView(t), err
	})
}

// AdminReportLeakedToken: POST /admin/tokens/{id}/leaked {url?, note?}.
func (a *API) AdminReportLeakedToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serveAdmin(ctx, req, func(id pat.Identity) (int, any, error) {
		var body leakRequest
		if err := optionalBody(req, &body); err != nil {
			return 0, nil, err
		}
		t, err := a.svc.AdminReportLeakedToken(ctx, id, req.PathParameters["id"], pat.LeakInput(body))
		return 200, a.adminTokenView(t), err
	})
}
