package pat_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/testenv"
)

// The owner-change races: an administrator's change of an owner (disable,
// narrow) against the owner's own creates and rotations running at the
// same moment. The guarantee is UpdateUser's (and the Store's: an owner's
// change is written with the copy of their state on every live token, and
// a create or a rotation only under the owner state it read), and what it
// buys is the authorizer's: one read of a token's item decides, with no
// second read of its owner. So the tests change through the service as the
// functions wire it and judge with the authorizer on the same tables.

// raceEnv is the service as the functions wire it on fresh tables, and the
// authorizer on the same tables through a client that counts reads.
type raceEnv struct {
	*testenv.Env
	count *testenv.Counting
	authz *authz.Authorizer
}

func newRaceEnv(t *testing.T) *raceEnv {
	t.Helper()
	e := &raceEnv{Env: testenv.New(t, &ledger)}
	e.Clock.Set(time.Now().UTC().Truncate(time.Second)) // real time: DynamoDB Local applies TTL
	e.count = &testenv.Counting{AuthAPI: e.DB}
	e.authz = e.Authorizer(t, e.AuthorizerConfig(), e.count)
	return e
}

// churn creates and rotates tokens of id from several goroutines until
// stop is closed, and returns every secret it was given. It returns once a
// few tokens were created and rotated: the change races a running churn.
func churn(t *testing.T, e *raceEnv, id pat.Identity, scopes []string, seed []pat.Created, stop <-chan struct{}) func() []string {
	var mu sync.Mutex
	var secrets []string
	keep := func(c pat.Created) {
		ledger.AddToken(c.Secret)
		mu.Lock()
		secrets = append(secrets, c.Secret)
		mu.Unlock()
	}
	for _, c := range seed {
		keep(c)
	}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			current := seed[w%len(seed)] // rotators race each other for it, too
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if w%2 == 0 {
					if c, err := e.Service.CreateToken(context.Background(), id, pat.CreateInput{Name: fmt.Sprintf("churn %d-%d", w, i), Scopes: scopes}); err == nil {
						keep(c)
					}
					continue
				}
				if c, err := e.Service.RotateToken(context.Background(), id, current.Token.ID, pat.RotateInput{}); err == nil {
					keep(c)
					current = c
				}
			}
		})
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(secrets)
		mu.Unlock()
		if n >= len(seed)+4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the churn made %d tokens in 10 s", n-len(seed))
		}
	}
	return func() []string { wg.Wait(); return secrets }
}

func (e *raceEnv) decide(t *testing.T, secret, method, path string) authz.Decision {
	t.Helper()
	d, err := e.authz.Decide(context.Background(), authz.Request{Authorization: "Bearer " + secret, Method: method, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// One read per decision keeps every guarantee: tokens created and rotated
// while their owner is disabled, all of them, are refused once the disable
// has returned; none slipped through with the owner's old state.
func TestDisableRacesCreatesAndRotations(t *testing.T) {
	e := newRaceEnv(t)
	dave := pat.Identity{UserID: "user-dave", Email: "dave@example.com", Permissions: []string{"crm:read"}}
	seed := []pat.Created{e.Create(t, dave, pat.CreateInput{Scopes: []string{"crm:read"}}), e.Create(t, dave, pat.CreateInput{Scopes: []string{"crm:read"}})}
	stop := make(chan struct{})
	wait := churn(t, e, dave, []string{"crm:read"}, seed, stop)
	off := pat.UserDisabled
	if _, err := e.Service.AdminUpdateUser(context.Background(), root, dave.UserID, pat.UserUpdate{Status: &off}); err != nil {
		t.Fatal(err)
	}
	secrets := wait // the churn goes on after the disable returned, and fails
	close(stop)
	all := secrets()
	for _, s := range all {
		if d := e.decide(t, s, "GET", "/api/crm/contacts"); d.Outcome == authz.Allowed {
			t.Fatalf("a token of a disabled owner was allowed (%d tokens in the race)", len(all))
		}
	}
	reads := e.count.Reads.Load()
	e.decide(t, seed[0].Secret, "GET", "/api/crm")
	if n := e.count.Reads.Load() - reads; n != 1 {
		t.Fatalf("%d reads for one decision", n)
	}
}

// Likewise for a narrowing: once the administrator's limit has returned,
// no token of the owner, however and whenever created, still has what the
// limit took away.
func TestNarrowingRacesCreatesAndRotations(t *testing.T) {
	e := newRaceEnv(t)
	erin := pat.Identity{UserID: "user-erin", Email: "erin@example.com", Permissions: []string{"crm:read", "orders:read"}}
	both := []string{"crm:read", "orders:read"}
	seed := []pat.Created{e.Create(t, erin, pat.CreateInput{Scopes: both}), e.Create(t, erin, pat.CreateInput{Scopes: both})}
	stop := make(chan struct{})
	wait := churn(t, e, erin, both, seed, stop)
	limit := []string{"orders:read"}
	if _, err := e.Service.AdminUpdateUser(context.Background(), root, erin.UserID, pat.UserUpdate{Limit: &limit}); err != nil {
		t.Fatal(err)
	}
	close(stop)
	all := wait()
	allowedOrders := 0
	for _, s := range all {
		if d := e.decide(t, s, "GET", "/api/crm/contacts"); d.Outcome == authz.Allowed {
			t.Fatalf("a token kept crm:read after the owner's limit took it (%d tokens in the race)", len(all))
		}
		if d := e.decide(t, s, "GET", "/api/orders/1"); d.Outcome == authz.Allowed {
			allowedOrders++
		}
	}
	if allowedOrders == 0 {
		t.Fatal("no token kept orders:read, which the limit leaves")
	}
}
