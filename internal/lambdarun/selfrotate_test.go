package lambdarun_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// withoutSelfRotate names, in w.subst, a token of alice's without
// tokens:self-rotate.
const withoutSelfRotate = "pat_WITHOUTTOKENSSELFROTATE"

// seedSelfRotating seeds the replaced token of seedReplaced and, as the
// sample's token, one holding tokens:self-rotate; the sample's own token
// (create-token's, without it) is withoutSelfRotate.
func seedSelfRotating(t *testing.T, w *world) {
	seedReplaced(t, w)
	w.subst[withoutSelfRotate] = w.subst["pat_REPLACEDBYTHETEST"]
	created := w.seed(t, "create-token", body(`{"name":"ci deploy","scopes":["crm:read","tokens:self-rotate"],"expiresInDays":30}`))
	w.subst[sampleTokenID], w.subst["pat_REPLACEDBYTHETEST"] = created["id"].(string), created["token"].(string)
}

// challenge wants the answer's WWW-Authenticate.
func challenge(value string) func(t *testing.T, w *world, r response) {
	return func(t *testing.T, w *world, r response) {
		t.Helper()
		if got := r.Header.Get("WWW-Authenticate"); got != value {
			t.Fatalf("WWW-Authenticate %q, want %q", got, value)
		}
	}
}

func init() {
	cases["self-rotate-token"] = fnCase{seed: seedSelfRotating, runs: []run{
		api("without tokens:self-rotate", "self-rotate-token", true, http.StatusForbidden, "insufficient_scope",
			challenge(`Bearer realm="pat", error="insufficient_scope", scope="tokens:self-rotate"`), bearer(withoutSelfRotate)),
		api("no token", "self-rotate-token", true, http.StatusUnauthorized, "invalid_token", challenge(`Bearer realm="pat"`),
			header("authorization", "")),
		// The sample: the token replaces itself, the old one works for
		// the hour it asked for; the owner's notice goes out at once.
		sample("self-rotate-token", http.StatusCreated, func(t *testing.T, w *world, r response) {
			newToken(t, w, r)
			old, err := w.Service.GetToken(context.Background(), pat.Identity{UserID: "user-alice"}, w.subst[sampleTokenID])
			if err != nil {
				t.Fatal(err)
			}
			if old.ReplacedBy != r.json()["id"] || old.ReplacedUntil == nil || r.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("the old token after the sample: %+v; the answer's Cache-Control %q", old, r.Header.Get("Cache-Control"))
			}
		}),
		api("the same token again, in its overlap", "self-rotate-token", true, http.StatusUnauthorized, "invalid_token",
			challenge(`Bearer realm="pat", error="invalid_token"`)),
		// A rotated token used after its end: refused, and reported as the
		// authorizer reports it, under this function's policy.
		api("a token replaced without overlap", "self-rotate-token", true, http.StatusUnauthorized, "invalid_token",
			func(t *testing.T, w *world, r response) {
				out, err := w.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &w.Tables.Tokens,
					Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "TOKEN#" + w.subst[replacedID]}, "sk": &types.AttributeValueMemberS{Value: "TOKEN"}}})
				if err != nil {
					t.Fatal(err)
				}
				if out.Item["reuseReportedAt"] == nil {
					t.Fatal("the reuse was not reported on the token")
				}
			}, bearer(replacedSecret)),
		api("an overlap over 7 days", "self-rotate-token", true, http.StatusBadRequest, "invalid_request", nil,
			body(`{"overlapSeconds":604801}`)),
	}}
}
