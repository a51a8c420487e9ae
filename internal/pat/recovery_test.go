package pat_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
)

// The one-off command of docs/operations.md that enables an account
// disabled by mistake, when no administrator is left to do it, works as it says: run
// as written against DynamoDB Local, the account's administrator routes
// work again at once, and its tokens after its next change of a token.
func TestRecoveryCommandInTheDocs(t *testing.T) {
	f := newFixture(t, testConfig)
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	readme, err := os.ReadFile(filepath.Join(localstack.RepoRoot(t), "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(readme), "```sh\nTABLE=$(out TokensTableName)\n")
	if start < 0 {
		t.Fatal("docs/operations.md has no recovery block starting TABLE=$(out TokensTableName)")
	}
	block := string(readme)[start+len("```sh\n"):]
	block = block[:strings.Index(block, "```")]
	if !strings.Contains(block, "\nID='the-user-id'") {
		t.Fatalf("the recovery block names no ID='the-user-id':\n%s", block)
	}
	block = strings.Replace(block, "\nID='the-user-id'", "\nID='alice'", 1)

	ctx := context.Background()
	admin := alice
	admin.Admin = true
	c := f.mustCreate(t, admin, "kept", "crm:read")
	off := pat.UserDisabled
	if _, err := f.svc.AdminUpdateUser(ctx, pat.Identity{UserID: "root2", Admin: true}, alice.UserID, pat.UserUpdate{Status: &off}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.AdminListTokens(ctx, admin, pat.TokenFilter{}, "", 0)
	wantCode(t, err, pat.CodeUserDisabled)

	script := "set -euo pipefail\n" +
		`out() { printf '%s' "$RECOVERY_TABLE"; }` + "\n" +
		`aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL_DYNAMODB" "$@"; }` + "\n" + block
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(os.Environ(), "RECOVERY_TABLE="+f.tables.Tokens, "AWS_DEFAULT_REGION=eu-central-1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the recovery command of docs/operations.md: %v\n%s", err, out)
	}

	if _, err := f.svc.AdminListTokens(ctx, admin, pat.TokenFilter{}, "", 0); err != nil {
		t.Fatalf("the administrator after the recovery command: %v", err)
	}
	if tok, _ := f.svc.GetToken(ctx, alice, c.Token.ID); tok.Owner.Status != pat.UserDisabled {
		t.Fatalf("the token's copy of its owner before the next change: %+v", tok.Owner)
	}
	if _, err := f.svc.ExtendToken(ctx, alice, c.Token.ID, pat.ExtendInput{}); err != nil {
		t.Fatal(err)
	}
	if tok, _ := f.svc.GetToken(ctx, alice, c.Token.ID); tok.Owner.Status != pat.UserActive || strings.Join(tok.Owner.Scopes, " ") != strings.Join(alice.Permissions, " ") {
		t.Fatalf("the token's copy of its owner after the next change: %+v", tok.Owner)
	}
}
