package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/i18n"
	"github.com/patservice/pat/internal/pat"
)

func problemPage(t *testing.T, code string, query map[string]string, headers map[string]string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := ProblemPage(context.Background(), events.APIGatewayV2HTTPRequest{PathParameters: map[string]string{"code": code},
		QueryStringParameters: query, Headers: headers})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// Every code the API answers with (pat.Codes) has a page, with its status,
// and a text in every language; the authorizer's RFC 6750 codes too.
func TestEveryProblemHasAPage(t *testing.T) {
	codes := []string{"invalid_token", "insufficient_scope"}
	for _, code := range pat.Codes() {
		codes = append(codes, string(code))
	}
	for _, code := range codes {
		for _, lang := range i18n.Languages() {
			resp := problemPage(t, code, map[string]string{"lang": string(lang)}, nil)
			if resp.StatusCode != 200 || !strings.Contains(resp.Body, "<code>"+code+"</code>") {
				t.Errorf("%s in %s: %d", code, lang, resp.StatusCode)
			}
			if strings.Contains(resp.Body, "problem."+code) {
				t.Errorf("%s in %s: the page shows the key of a missing text", code, lang)
			}
			if !strings.Contains(resp.Body, `<html lang="`+string(lang)+`">`) {
				t.Errorf("%s in %s: page not in its language", code, lang)
			}
		}
		if want, ok := statusOf[pat.Code(code)]; ok && problemDocs[code].Status != want {
			t.Errorf("%s: the page says %d, the API answers %d", code, problemDocs[code].Status, want)
		}
	}
}

// The page speaks the browser's language (regional variants included),
// ?lang= overrides it, and the switch links every language.
func TestProblemPageLanguage(t *testing.T) {
	for _, c := range []struct {
		accept, lang, want, says string
	}{
		{"de-CH,de;q=0.9,en;q=0.5", "", "de", "Ein Token kann nicht mehr als sein Inhaber"},
		{"nl-BE", "", "nl", "Een token kan niet meer dan zijn eigenaar"},
		{"fr-FR", "", "en", "A token cannot do more than its owner"},
		{"de-DE", "nl", "nl", "Een token kan niet meer dan zijn eigenaar"},
		{"nl", "xx", "nl", "Een token kan niet meer dan zijn eigenaar"},
	} {
		resp := problemPage(t, "scope_not_permitted", map[string]string{"lang": c.lang}, map[string]string{"accept-language": c.accept})
		if !strings.Contains(resp.Body, c.says) || resp.Headers["Content-Language"] != c.want {
			t.Errorf("Accept-Language %q, ?lang=%q: want %s, got %s\n%s", c.accept, c.lang, c.want, resp.Headers["Content-Language"], resp.Body)
		}
		if resp.Headers["Vary"] != "Accept-Language" {
			t.Errorf("a cached page in one language would be served in all: Vary %q", resp.Headers["Vary"])
		}
		for _, l := range []string{"en", "de", "nl"} {
			if l != c.want && !strings.Contains(resp.Body, `href="?lang=`+l+`"`) {
				t.Errorf("no switch to %s:\n%s", l, resp.Body)
			}
		}
	}
}

// The pages allow their one stylesheet by its hash, no inline style
// beyond it, and are sent with nosniff and HSTS.
func TestPagesHeaders(t *testing.T) {
	resp := problemPage(t, "conflict", nil, nil)
	csp := resp.Headers["Content-Security-Policy"]
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline style: %s", csp)
	}
	styles := regexp.MustCompile(`<style>([^<]*)</style>`).FindAllStringSubmatch(resp.Body, -1)
	if len(styles) != 1 {
		t.Fatalf("want one <style>, got %d", len(styles))
	}
	sum := sha256.Sum256([]byte(styles[0][1]))
	if !strings.Contains(csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Errorf("CSP %q does not allow the page's stylesheet", csp)
	}
	if strings.Contains(resp.Body, "style=") {
		t.Error("a style attribute, which the CSP blocks")
	}
	if resp.Headers["X-Content-Type-Options"] != "nosniff" || resp.Headers["Strict-Transport-Security"] != "max-age=31536000; includeSubDomains" {
		t.Errorf("headers %v", resp.Headers)
	}
}
