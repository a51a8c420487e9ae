package console_test

import (
	"strings"
	"testing"
)

// The create dialog offers tokens:self-rotate below the scope grid, in
// words; a token created with it rotates itself through the local API
// (POST /tokens/self/rotate, routed before /tokens/{id}/rotate), and its
// replacement works at the demo API while the old token does not.
func TestSelfRotateScopeInABrowser(t *testing.T) {
	s := newStack(t, devSignIn)
	tb := s.tab(t, "")
	tb.open("/console/")
	tb.click("#new-token-button")
	tb.waitFor(`document.querySelector('dialog input[value="tokens:self-rotate"]') !== null`)
	row := tb.text(`dialog tr.own`)
	if !strings.Contains(row, "Rotate itself (for machines)") || !strings.Contains(row, "POST /tokens/self/rotate") || !strings.Contains(row, "tokens:self-rotate") {
		t.Errorf("the create dialog's row of tokens:self-rotate: %q", row)
	}
	tb.screenshot("create-self-rotate")
	tb.click(`dialog .buttons button[type="button"]`)
	tb.waitFor(`document.querySelector("dialog") === null`)

	tok := tb.createInDialog("ci deploy", "crm:read", "tokens:self-rotate")
	tb.closeReveal(tok)
	tb.waitFor(`document.querySelector("#tokens a.name") !== null`)
	if text := tb.text("#tokens"); !strings.Contains(text, "tokens:self-rotate") {
		t.Errorf("the list does not show the scope: %s", text)
	}
	code, next := s.api(t, "POST", "/tokens/self/rotate", "", tok, "")
	fresh, _ := next["token"].(string)
	if code != 201 || !strings.HasPrefix(fresh, "pat_") {
		t.Fatalf("self-rotation: %d %v", code, next)
	}
	if code := s.demo(t, fresh); code != 200 {
		t.Errorf("the replacement at the demo API: %d, want 200", code)
	}
	if code := s.demo(t, tok); code != 401 {
		t.Errorf("the old token at the demo API: %d, want 401", code)
	}
	tb.noConsoleErrors()
}
