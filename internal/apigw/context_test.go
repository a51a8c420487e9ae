package apigw_test

import (
	"context"
	"testing"

	"github.com/patservice/pat/internal/pat"
)

var root = pat.Identity{UserID: "user-root", Email: "root@example.com", Admin: true}

// Backends learn who made a token: issuedBy is "admin" in the context of
// a token an administrator created for its owner, "owner" for the owner's
// own (and for the owner's rotation of an administrator's token), in REST
// and HTTP API answers alike, still from one read per decision.
func TestContextSaysWhoIssuedTheToken(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	adminCreate := func(name string) pat.Created {
		t.Helper()
		c, err := e.Service.AdminCreateToken(ctx, root, alice.UserID, pat.CreateInput{Name: name, Scopes: []string{"crm:read"}})
		if err != nil {
			t.Fatal(err)
		}
		e.AddToken(c.Secret)
		return c
	}
	own := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	byAdmin := adminCreate("for alice")
	rotated, err := e.Service.RotateToken(ctx, alice, adminCreate("for alice, rotated").Token.ID, pat.RotateInput{})
	if err != nil {
		t.Fatal(err)
	}
	e.AddToken(rotated.Secret)
	for _, c := range []struct {
		name, secret, want string
	}{
		{"the owner's", own.Secret, "owner"},
		{"an administrator's", byAdmin.Secret, "admin"},
		{"rotated by the owner", rotated.Secret, "owner"},
	} {
		req := request{header: "Bearer " + c.secret, method: "GET", path: "/api/crm/contacts"}
		before := e.count.Reads.Load()
		rest, err := e.handler.REST(ctx, e.restEvent(t, req))
		if err != nil || rest.PolicyDocument.Statement[0].Effect != "Allow" || rest.Context["issuedBy"] != c.want {
			t.Errorf("%s token, REST: %+v %v; want issuedBy %s", c.name, rest, err, c.want)
		}
		if reads := e.count.Reads.Load() - before; reads != 1 {
			t.Errorf("%s token: %d reads, want 1", c.name, reads)
		}
		http, err := e.handler.HTTP(ctx, e.httpEvent(t, req))
		if err != nil || !http.IsAuthorized || http.Context["issuedBy"] != c.want {
			t.Errorf("%s token, HTTP: %+v %v; want issuedBy %s", c.name, http, err, c.want)
		}
	}
}
