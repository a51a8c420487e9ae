package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/pat"
)

// statusOf is the one table from error code to HTTP status.
var statusOf = map[pat.Code]int{
	pat.CodeInvalid:              http.StatusBadRequest,
	pat.CodeInvalidCursor:        http.StatusBadRequest,
	pat.CodeUnknownScope:         http.StatusBadRequest,
	pat.CodeBodyTooLarge:         http.StatusRequestEntityTooLarge,
	pat.CodeUnsupportedMedia:     http.StatusUnsupportedMediaType,
	pat.CodeUnauthenticated:      http.StatusUnauthorized,
	pat.CodeScopeNotPermitted:    http.StatusForbidden,
	pat.CodeNoPermissions:        http.StatusForbidden,
	pat.CodeUserDisabled:         http.StatusForbidden,
	pat.CodeForbidden:            http.StatusForbidden,
	pat.CodeConfirmationRequired: http.StatusBadRequest,
	pat.CodeConfirmationMismatch: http.StatusConflict,
	pat.CodeNotFound:             http.StatusNotFound,
	pat.CodeTokenNotActive:       http.StatusConflict,
	pat.CodeTokenLocked:          http.StatusConflict,
	pat.CodeTokenLimit:           http.StatusConflict,
	pat.CodeConflict:             http.StatusConflict,
	pat.CodeOwnAccount:           http.StatusConflict,
	pat.CodeInternal:             http.StatusInternalServerError,
}

// Problem is an RFC 9457 problem document with a stable code.
type Problem struct {
	Type   string   `json:"type"`
	Title  string   `json:"title"`
	Status int      `json:"status"`
	Detail string   `json:"detail"`
	Code   pat.Code `json:"code"`
	Scopes []string `json:"scopes,omitempty"`
	Count  *int     `json:"count,omitempty"` // for the confirmation codes: what a revoke-all would revoke
}

// problemType is the URI reference of each problem type: a page of this
// service (ProblemPage), relative so that it resolves against whatever
// host the API is served from.
const problemType = "/problems/"

// problemFor turns an error into a response. Internal errors are logged and
// described to the caller as "internal error" only; so is an error whose
// code the table lacks, which answers 500, never a status of 0.
func (a *API) problemFor(ctx context.Context, req events.APIGatewayV2HTTPRequest, err error) events.APIGatewayV2HTTPResponse {
	code := pat.ErrorCode(err)
	status, known := statusOf[code]
	if !known {
		code, status = pat.CodeInternal, http.StatusInternalServerError
	}
	p := Problem{Type: problemType + string(code), Code: code, Status: status, Title: http.StatusText(status)}
	if pe, ok := errors.AsType[*pat.Error](err); ok && code != pat.CodeInternal {
		p.Detail, p.Scopes, p.Count = pe.Message, pe.Scopes, pe.Count
	} else {
		a.log.ErrorContext(ctx, "request failed", "route", req.RouteKey, "error", err)
		p.Detail = "internal error"
	}
	body, _ := encodeJSON(p)
	return respond(p.Status, "application/problem+json", body)
}

// encodeJSON is v as JSON ending with a newline, as a terminal expects.
func encodeJSON(v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(body, '\n'), nil
}

// respond is every answer of the API, with the headers every answer
// carries: nosniff, so that no browser reads JSON or a page as anything
// but its Content-Type; and HSTS, which browsers take from HTTPS answers
// only (API Gateway serves nothing else) and ignore over plain HTTP.
func respond(status int, contentType string, body []byte) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers: map[string]string{"Content-Type": contentType, "Cache-Control": "no-store",
			"X-Content-Type-Options": "nosniff", "Strict-Transport-Security": hsts},
		Body: string(body),
	}
}

// hsts asks browsers to reach the API's host and its subdomains over HTTPS
// only, for a year.
const hsts = "max-age=31536000; includeSubDomains"
