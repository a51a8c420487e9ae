package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The local server knows its user without a credential, so a page on
// another site must not be able to change anything through the browser:
// cross-site POSTs (Sec-Fetch-Site, else Origin) to the management API and
// to the dev lifecycle endpoint are refused with 403 and change nothing;
// the console's own (same-origin) requests and curl (neither header) pass.
// The lifecycle endpoint refuses a "now" more than 10 years away.
func TestCrossSiteChangesAreRefused(t *testing.T) {
	base := startServer(t, nil)
	send := func(method, path string, header map[string]string, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, body := send("POST", "/tokens", nil, `{"name":"cross-site","scopes":["crm:read"]}`)
	var tok struct{ ID string }
	if err := json.Unmarshal([]byte(body), &tok); status != 201 || err != nil {
		t.Fatalf("create (curl): %d %s", status, body)
	}
	crossSite := []map[string]string{
		{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		{"Sec-Fetch-Site": "same-site", "Origin": "http://localhost:1"},
		{"Origin": "https://evil.example"}, // an older browser: no Sec-Fetch-Site
	}
	for _, h := range crossSite {
		for _, c := range []struct{ method, path, body string }{
			{"POST", "/tokens/" + tok.ID + "/rotate", ""},
			{"DELETE", "/tokens/" + tok.ID, ""},
			{"POST", "/tokens", `{"name":"x","scopes":["crm:read"]}`},
			{"POST", "/dev/lifecycle?dryRun=true", ""},
			{"POST", "/dev/lifecycle", ""},
		} {
			if status, body := send(c.method, c.path, h, c.body); status != http.StatusForbidden {
				t.Errorf("%s %s with %v: %d %.200s, want 403", c.method, c.path, h, status, body)
			}
		}
	}
	if status, body := send("GET", "/tokens/"+tok.ID, map[string]string{"Sec-Fetch-Site": "cross-site"}, ""); status != 200 || !strings.Contains(body, `"status":"active"`) {
		t.Fatalf("the token after the refused requests: %d %s", status, body)
	}
	sameOrigin := map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": base}
	if status, body := send("POST", "/dev/lifecycle?dryRun=true", sameOrigin, ""); status != 200 {
		t.Errorf("same-origin lifecycle run: %d %s", status, body)
	}
	if status, body := send("POST", "/tokens/"+tok.ID+"/rotate", sameOrigin, ""); status != 201 {
		t.Errorf("same-origin rotation: %d %s", status, body)
	}
	for _, now := range []string{"9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2100-01-01T00:00:00Z"} {
		if status, body := send("POST", "/dev/lifecycle?now="+now, nil, ""); status != http.StatusBadRequest {
			t.Errorf("lifecycle run at %s: %d %.200s, want 400", now, status, body)
		}
	}
}

// A page on another site that rebinds its name to 127.0.0.1 reaches the
// server as same-origin, with its own name as Host: the server answers
// 421 to every Host but its loopback names, and nothing changes.
func TestOtherHostsAreRefused(t *testing.T) {
	base := startServer(t, nil)
	_, port, _ := strings.Cut(strings.TrimPrefix(base, "http://"), ":")
	send := func(method, path, host string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, host := range []string{"rebind.evil.example:" + port, "rebind.evil.example", "127.0.0.1.nip.io:" + port} {
		for _, c := range []struct{ method, path string }{{"GET", "/me"}, {"GET", "/tokens"}, {"POST", "/dev/lifecycle"}, {"GET", "/"}} {
			if status, body := send(c.method, c.path, host); status != http.StatusMisdirectedRequest {
				t.Errorf("%s %s with Host %s: %d %.200s, want 421", c.method, c.path, host, status, body)
			}
		}
	}
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port} {
		if status, body := send("GET", "/me", host); status != http.StatusOK {
			t.Errorf("GET /me with Host %s: %d %.200s", host, status, body)
		}
	}
}
