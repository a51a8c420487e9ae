package dynamo_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/token"
)

// The backfill copies each live legacy token's owner state once, resumes
// where a bounded call stopped, leaves revoked tokens and tokens without
// an owner record alone, takes an owner record older than revisions to
// revision 1, and puts the token in the owner's live tokens.
func TestBackfillOwnerStates(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	f.user(t, "carol")
	// carol's record as written before revisions: rev 0.
	if _, err := f.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(f.tables.Tokens),
		Key:              ownerItemKey("carol"),
		UpdateExpression: aws.String("REMOVE rev")}); err != nil {
		t.Fatal(err)
	}
	a, b, c := f.legacyToken(t, "alice"), f.legacyToken(t, "alice"), f.legacyToken(t, "carol")
	revoked := f.legacyToken(t, "alice")
	if _, err := f.store.RevokeTokens(ctx, f.revocation(revoked)); err != nil {
		t.Fatal(err)
	}
	orphan := f.legacyToken(t, "nobody")
	fresh := f.token(t, "alice")

	var total pat.Backfill
	for calls := 0; !total.Done; calls++ {
		if calls > 20 {
			t.Fatal("the backfill never ends")
		}
		res, err := f.store.BackfillOwnerStates(ctx, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		if res.Scanned > 1 {
			t.Fatalf("a call with a budget of 1 scanned %d items", res.Scanned)
		}
		total.Copied, total.Orphans, total.Done = total.Copied+res.Copied, total.Orphans+res.Orphans, res.Done
	}
	if total.Copied != 3 || total.Orphans != 1 {
		t.Fatalf("copied %d, orphans %d; want 3 and 1", total.Copied, total.Orphans)
	}
	for _, tok := range []pat.Token{a, b, c} {
		got := f.get(t, tok.ID)
		if got.Owner.Rev < 1 || got.Owner.Status != pat.UserActive || len(got.Owner.Scopes) == 0 {
			t.Fatalf("token %s of %s: %+v", tok.ID, tok.UserID, got.Owner)
		}
	}
	if u, err := f.store.GetUser(ctx, "carol"); err != nil || u.Rev != 1 || f.get(t, c.ID).Owner.Rev != 1 {
		t.Fatalf("carol's record after the backfill: %+v %v", u, err)
	}
	for _, tok := range []pat.Token{revoked, orphan} {
		if got := f.get(t, tok.ID); got.Owner.Rev != 0 {
			t.Fatalf("token %s was given a copy: %+v", tok.ID, got.Owner)
		}
	}
	// In the owner's live tokens: every later change of the owner rewrites the copies.
	out, err := f.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.tables.Tokens), Key: ownerItemKey("alice")})
	if err != nil {
		t.Fatal(err)
	}
	live, _ := out.Item["liveTokens"].(*types.AttributeValueMemberSS)
	if live == nil || !slices.Contains(live.Value, a.ID) || !slices.Contains(live.Value, b.ID) || !slices.Contains(live.Value, fresh.ID) || slices.Contains(live.Value, revoked.ID) {
		t.Fatalf("alice's live tokens: %v", out.Item["liveTokens"])
	}
	// Done: a later call reads its state and writes nothing.
	before := localstack.Dump(t, f.db, f.tables.Tokens)
	if res, err := f.store.BackfillOwnerStates(ctx, 100, 10); err != nil || !res.Done || res.Scanned != 0 {
		t.Fatalf("a call after the end: %+v %v", res, err)
	}
	if !reflect.DeepEqual(before, localstack.Dump(t, f.db, f.tables.Tokens)) {
		t.Fatal("a call after the end wrote something")
	}
}

func ownerItemKey(user string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "OWNER#" + token.OwnerTag(user)}, "sk": &types.AttributeValueMemberS{Value: "USER"}}
}
