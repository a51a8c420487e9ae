package authz_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/testenv"
	"github.com/patservice/pat/internal/token"
)

// Over a mix of tokens older than the owner's copy on the token and newer
// ones, the lifecycle job's backfill brings the authorizer to one read per
// decision, and the old tokens then follow their owner's changes as the
// new ones do.
func TestOneReadPerDecisionAfterTheBackfill(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bob := pat.Identity{UserID: "user-bob", Email: "bob@example.com", Permissions: []string{"crm:read"}}
	var live, revoked []pat.Created
	for i, id := range []pat.Identity{alice, alice, bob, alice, bob} {
		c := e.Create(t, id, pat.CreateInput{Scopes: []string{"crm:read"}})
		if i%2 == 0 {
			e.makeLegacy(t, c.Token)
		}
		live = append(live, c)
	}
	old := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	e.makeLegacy(t, old.Token)
	if err := e.Service.RevokeToken(ctx, alice, old.Token.ID); err != nil {
		t.Fatal(err)
	}
	revoked = append(revoked, old)

	perDecision := func() float64 {
		t.Helper()
		before := e.count.Reads.Load()
		for _, c := range live {
			if d := e.decide(t, c.Secret, "GET", "/api/crm/contacts"); d.Outcome != authz.Allowed {
				t.Fatalf("token %s: %v %s", c.Token.ID, d.Outcome, d.Reason)
			}
		}
		for _, c := range revoked {
			if d := e.decide(t, c.Secret, "GET", "/api/crm/contacts"); d.Reason != authz.ReasonRevoked {
				t.Fatalf("revoked token %s: %v %s", c.Token.ID, d.Outcome, d.Reason)
			}
		}
		return float64(e.count.Reads.Load()-before) / float64(len(live)+len(revoked))
	}
	if got := perDecision(); got <= 1 {
		t.Fatalf("%.2f reads per decision before the backfill: the legacy tokens are not legacy", got)
	}
	// Two items a run at most: the backfill resumes where it stopped.
	runs := 0
	for done := false; !done; runs++ {
		res, err := e.Service.Store.BackfillOwnerStates(ctx, 2, 2)
		if err != nil {
			t.Fatal(err)
		}
		done = res.Done
		if runs > 50 {
			t.Fatal("the backfill never ends")
		}
	}
	if runs < 3 {
		t.Fatalf("the backfill ended in %d runs of 2 items: not bounded", runs)
	}
	if got := perDecision(); got != 1 {
		t.Fatalf("%.2f reads per decision after the backfill, want 1.00", got)
	}
	t.Logf("reads per decision after the backfill: 1.00 (%d runs)", runs)
	// A backfilled token follows its owner: disabling alice reaches it.
	disabled := pat.UserDisabled
	if _, err := e.Service.AdminUpdateUser(ctx, root, alice.UserID, pat.UserUpdate{Status: &disabled, Reason: "left"}); err != nil {
		t.Fatal(err)
	}
	if d := e.decide(t, live[0].Secret, "GET", "/api/crm/contacts"); d.Reason != authz.ReasonOwnerDisabled {
		t.Fatalf("a backfilled token of a disabled owner: %v %s", d.Outcome, d.Reason)
	}
}

// makeLegacy turns a token into one written before tokens carried their
// owner's state: no copy on it, and not in the owner's live tokens.
func (e *env) makeLegacy(t *testing.T, tok pat.Token) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(e.Tables.Tokens), Key: testenv.TokenKey(tok.ID),
		UpdateExpression: aws.String("REMOVE ownerStatus, ownerScopes, ownerRev")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(e.Tables.Tokens), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "OWNER#" + token.OwnerTag(tok.UserID)}, "sk": &types.AttributeValueMemberS{Value: "USER"}},
		UpdateExpression:          aws.String("DELETE liveTokens :id"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberSS{Value: []string{tok.ID}}}}); err != nil {
		t.Fatal(err)
	}
}
