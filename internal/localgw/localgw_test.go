package localgw

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// echo answers with the event it was given.
func echo(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	body, _ := json.Marshal(ev)
	return events.APIGatewayV2HTTPResponse{StatusCode: 201, Headers: map[string]string{"X-Echo": "1"}, Body: string(body)}, nil
}

func TestGatewayBuildsEvents(t *testing.T) {
	gw := New([]Route{{Method: "POST", Path: "/tokens/{id}/rotate", Handler: echo}}, Claims(func(r *http.Request) map[string]string {
		return map[string]string{"sub": "dev"}
	}))
	srv := httptest.NewServer(gw)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/tokens/abc/rotate?limit=5", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.NewDecoder(resp.Body).Decode(&ev); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 201 || resp.Header.Get("X-Echo") != "1" {
		t.Fatalf("response %d %v", resp.StatusCode, resp.Header)
	}
	if ev.RouteKey != "POST /tokens/{id}/rotate" || ev.PathParameters["id"] != "abc" || ev.QueryStringParameters["limit"] != "5" ||
		ev.Body != `{"a":1}` || ev.Headers["content-type"] != "application/json" || ev.RequestContext.HTTP.SourceIP != "127.0.0.1" ||
		ev.RequestContext.Authorizer.JWT.Claims["sub"] != "dev" {
		t.Fatalf("event = %+v", ev)
	}

	for _, path := range []string{"/tokens/abc", "/tokens//rotate", "/nothing"} {
		resp, err := http.Post(srv.URL+path, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("POST %s = %d, want 404", path, resp.StatusCode)
		}
		if !strings.HasSuffix(rec404(t, gw, path), "}\n") {
			t.Errorf("the 404 of %s does not end with a newline", path)
		}
	}
}

// rec404 returns the body the gateway answers a POST to path with.
func rec404(t *testing.T, gw *Gateway, path string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	gw.ServeHTTP(rec, httptest.NewRequest("POST", path, nil))
	return rec.Body.String()
}

func TestGatewayFunctionErrorIs500(t *testing.T) {
	failing := func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{}, context.DeadlineExceeded
	}
	gw := New([]Route{{Method: "GET", Path: "/x", Handler: failing}}, Claims(func(*http.Request) map[string]string { return map[string]string{"sub": "u"} }))
	rec := httptest.NewRecorder()
	gw.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "deadline") {
		t.Fatalf("function error answered %d %s", rec.Code, rec.Body)
	}
}

// A {name+} parameter takes the rest of the path, one segment or more, as
// API Gateway's greedy path variables do.
func TestGatewayGreedyParameter(t *testing.T) {
	gw := New([]Route{{Method: "GET", Path: "/console/{proxy+}", Handler: echo, Public: true}}, Claims(func(*http.Request) map[string]string { return nil }))
	srv := httptest.NewServer(gw)
	defer srv.Close()
	for path, want := range map[string]string{"/console/tokens/abc": "tokens/abc", "/console/x": "x", "/console/": "", "/console": "", "/other/x": ""} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var ev events.APIGatewayV2HTTPRequest
		_ = json.NewDecoder(resp.Body).Decode(&ev)
		resp.Body.Close()
		if got := ev.PathParameters["proxy"]; (want == "") != (resp.StatusCode == 404) || got != want {
			t.Errorf("GET %s = %d proxy %q, want %q", path, resp.StatusCode, got, want)
		}
	}
}

// Of the routes a path matches, the gateway takes the most specific, as
// API Gateway does: a literal segment before a parameter, a parameter
// before a greedy one, whatever the routes' order.
func TestGatewayPrefersTheMostSpecificRoute(t *testing.T) {
	handler := func(name string) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
			return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: name}, nil
		}
	}
	routes := []Route{
		{Method: "POST", Path: "/{proxy+}", Handler: handler("greedy"), Public: true},
		{Method: "POST", Path: "/tokens/{id}/rotate", Handler: handler("rotate"), Public: true},
		{Method: "POST", Path: "/tokens/self/rotate", Handler: handler("self-rotate"), Public: true},
	}
	for _, order := range [][]Route{routes, {routes[2], routes[1], routes[0]}} {
		srv := httptest.NewServer(New(order, Claims(func(*http.Request) map[string]string { return nil })))
		for path, want := range map[string]string{"/tokens/self/rotate": "self-rotate", "/tokens/abc/rotate": "rotate", "/tokens/abc/extend": "greedy"} {
			resp, err := http.Post(srv.URL+path, "application/json", nil)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(got) != want {
				t.Errorf("POST %s went to %q, want %q", path, got, want)
			}
		}
		srv.Close()
	}
}
