// Package localgw stands in for API Gateway outside AWS: it turns net/http
// requests into HTTP API (payload 2.0) events, authorizes them as the HTTP
// API's JWT authorizer does, invokes the real Lambda handlers through the
// same JSON path as the Lambda runtime, and writes their responses back.
package localgw

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// Route is a method and a path template such as /tokens/{id}, served by a
// Lambda handler function taking an APIGatewayV2HTTPRequest.
type Route struct {
	Method  string
	Path    string
	Handler any
	Public  bool // no authorizer: the event carries no claims
}

// Authorizer stands in for the HTTP API's JWT authorizer on every route
// that is not Public: what API Gateway puts in
// requestContext.authorizer.jwt, or an error, on which the gateway answers
// as API Gateway does (see Refusal) and invokes nothing.
type Authorizer interface {
	Authorize(*http.Request) (*events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription, error)
}

// Claims is an Authorizer that verifies nothing: the local server's
// development identity, claims as API Gateway would pass them on. Nil
// claims refuse the request.
type Claims func(*http.Request) map[string]string

// Authorize returns the claims of r.
func (c Claims) Authorize(r *http.Request) (*events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription, error) {
	claims := c(r)
	if claims == nil {
		return nil, &Refusal{Status: http.StatusUnauthorized}
	}
	return &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}, nil
}

// Gateway routes requests to handlers behind an Authorizer.
type Gateway struct {
	routes     []compiled
	authorizer Authorizer
}

type compiled struct {
	Route
	parts []string
}

// MaxBodyBytes is API Gateway's payload limit.
const MaxBodyBytes = 10 << 20

// New returns a Gateway serving routes, the routes that are not Public
// behind auth.
func New(routes []Route, auth Authorizer) *Gateway {
	g := &Gateway{authorizer: auth}
	for _, r := range routes {
		g.routes = append(g.routes, compiled{Route: r, parts: split(r.Path)})
	}
	return g
}

func split(path string) []string { return strings.Split(strings.Trim(path, "/"), "/") }

// greedy reports whether a route ending in a {name+} parameter may match a
// path of these parts: one or more of them in its place.
func greedy(route, parts []string) bool {
	last := route[len(route)-1]
	return strings.HasPrefix(last, "{") && strings.HasSuffix(last, "+}") && len(parts) >= len(route) && parts[len(route)-1] != ""
}

// match finds the route for a request and its path parameters: of the
// routes that match, the most specific, as API Gateway chooses (a literal
// segment before a {name}, a {name} before a greedy {name+}, from the
// left: /tokens/self/rotate before /tokens/{id}/rotate, whatever their
// order).
func (g *Gateway) match(method, path string) (compiled, map[string]string, bool) {
	parts := split(path)
	var best compiled
	var bestParams map[string]string
	found := false
	for _, r := range g.routes {
		if r.Method != method || len(r.parts) != len(parts) && !greedy(r.parts, parts) {
			continue
		}
		params, ok := bind(r.parts, parts)
		if ok && (!found || slices.Compare(specificity(r.parts), specificity(best.parts)) < 0) {
			best, bestParams, found = r, params, true
		}
	}
	return best, bestParams, found
}

// bind matches path parts to a route's, and names its parameters.
func bind(route, parts []string) (map[string]string, bool) {
	params := map[string]string{}
	for i, p := range route {
		switch {
		case i == len(route)-1 && strings.HasSuffix(p, "+}"):
			// {name+} takes the rest of the path, as in API Gateway.
			params[p[1:len(p)-2]] = strings.Join(parts[i:], "/")
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") && parts[i] != "":
			params[p[1:len(p)-1]] = parts[i]
		case p != parts[i]:
			return nil, false
		}
	}
	return params, true
}

// specificity ranks a route's segments, lower first: 0 a literal, 1 a
// {name}, 2 a greedy {name+}.
func specificity(route []string) []int {
	out := make([]int, len(route))
	for i, p := range route {
		switch {
		case strings.HasSuffix(p, "+}"):
			out[i] = 2
		case strings.HasPrefix(p, "{"):
			out[i] = 1
		}
	}
	return out
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route, params, ok := g.match(r.Method, r.URL.Path)
	if !ok {
		writeJSON(w, http.StatusNotFound, `{"message":"Not Found"}`)
		return
	}
	// API Gateway runs the authorizer first: a refused request invokes
	// nothing.
	var jwt *events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription
	if !route.Public {
		var err error
		if jwt, err = g.authorizer.Authorize(r); err != nil {
			refuse(w, err)
			return
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil || len(body) > MaxBodyBytes {
		writeJSON(w, http.StatusRequestEntityTooLarge, `{"message":"Request Entity Too Large"}`)
		return
	}
	ev := g.event(r, route, params, body)
	if jwt != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: jwt}
	}
	resp, err := Invoke[events.APIGatewayV2HTTPResponse](r.Context(), route.Handler, ev)
	if err != nil {
		// What API Gateway answers when a function fails.
		writeJSON(w, http.StatusInternalServerError, `{"message":"Internal Server Error"}`)
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	respBody := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if respBody, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			writeJSON(w, http.StatusInternalServerError, `{"message":"Internal Server Error"}`)
			return
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(respBody)
}

func (g *Gateway) event(r *http.Request, route compiled, params map[string]string, body []byte) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	for k, vs := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	query := map[string]string{}
	for k, vs := range r.URL.Query() {
		query[k] = strings.Join(vs, ",")
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	now := time.Now().UTC()
	// A body that is not UTF-8 text cannot travel in a JSON string: API
	// Gateway passes it base64-encoded, and so does this.
	text, isBase64 := string(body), false
	if !utf8.Valid(body) {
		text, isBase64 = base64.StdEncoding.EncodeToString(body), true
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              route.Method + " " + route.Path,
		RawPath:               r.URL.Path,
		RawQueryString:        r.URL.RawQuery,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		Body:                  text,
		IsBase64Encoded:       isBase64,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:   route.Method + " " + route.Path,
			AccountID:  "000000000000",
			Stage:      "$default",
			RequestID:  rand.Text()[:16],
			APIID:      "local",
			DomainName: r.Host,
			Time:       now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:  now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: ip, UserAgent: r.UserAgent(),
			},
		},
	}
	return ev
}

// refuse answers an authorizer's refusal as API Gateway does: 401
// {"message":"Unauthorized"} (403 {"message":"Forbidden"} for missing
// scopes) with a Bearer challenge naming the reason; no challenge when no
// token came.
func refuse(w http.ResponseWriter, err error) {
	var no *Refusal
	if !errors.As(err, &no) {
		no = invalid("%v", err)
	}
	if no.Code != "" {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer scope="" error=%q error_description=%q`, no.Code, no.Description))
	}
	if no.Status == http.StatusForbidden {
		writeJSON(w, http.StatusForbidden, `{"message":"Forbidden"}`)
		return
	}
	writeJSON(w, http.StatusUnauthorized, `{"message":"Unauthorized"}`)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintln(w, body)
}

// Invoke calls a Lambda handler with an event through the runtime's JSON
// path, for tests that use the sample events of events/.
func Invoke[Resp any](ctx context.Context, handler any, event any) (Resp, error) {
	var resp Resp
	payload, err := json.Marshal(event)
	if err != nil {
		return resp, err
	}
	out, err := lambda.NewHandler(handler).Invoke(ctx, payload)
	if err != nil {
		return resp, err
	}
	return resp, json.Unmarshal(out, &resp)
}
