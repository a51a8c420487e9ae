// Package localidp runs a real OpenID provider on 127.0.0.1: zitadel/oidc's
// example provider (its exampleop server and storage, code written and
// certified independently of this project), with the console as a public
// client (authorization code + PKCE) and two users whose id tokens carry
// email and groups, as a Cognito pool's do. The JWT authorizer's and the
// console's tests sign in through it, and so can `make run` (infra/idp).
//
// Only what a deployment of that provider configures is this package's:
// the client, the users and their groups, and the signing keys (so that a
// test can rotate them). The protocol, the login page, the tokens and
// their signatures are zitadel's.
package localidp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// ClientID is the console's client: public, code + PKCE.
const ClientID = "pat-console"

// GroupsClaim is the claim the provider lists a user's groups in (set
// CLAIM_GROUPS to it).
const GroupsClaim = "groups"

// User is a user of the provider.
type User struct {
	Username, Password, Email string
	Groups                    []string
}

// Users are the provider's users. Their id (sub) is their username.
var Users = []User{
	{Username: "admin", Password: "admin-password", Email: "admin@example.com", Groups: []string{"pat-admins", "sales", "finance"}},
	{Username: "alice", Password: "alice-password", Email: "alice@example.com", Groups: []string{"sales"}},
}

// Provider is a running provider.
type Provider struct {
	Issuer string // http://127.0.0.1:<port>, as its tokens' iss
	srv    *http.Server
	store  *store
}

// Start serves a provider on ln until Close. Redirect URIs are the
// console's URLs (http://127.0.0.1/console/ covers every port: a
// loopback redirect URI of a native client matches any port, RFC 8252
// §7.3).
func Start(ln net.Listener, redirectURIs ...string) (*Provider, error) {
	issuer := "http://" + ln.Addr().String()
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	users := userStore{}
	groups := map[string][]string{}
	for _, u := range Users {
		users[u.Username] = &storage.User{ID: u.Username, Username: u.Username, Password: u.Password, FirstName: u.Username,
			LastName: "Example", Email: u.Email, EmailVerified: true, PreferredLanguage: language.English}
		groups[u.Username] = u.Groups
	}
	clients := map[string]*storage.Client{ClientID: storage.NativeClient(ClientID, redirectURIs...)}
	st := &store{Storage: storage.NewStorageWithClients(users, clients), keys: []signingKey{key}, groups: groups}
	handler := exampleop.SetupServer(issuer, st, nil, false)
	p := &Provider{Issuer: issuer, store: st, srv: &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// Close stops the provider.
func (p *Provider) Close() error { return p.srv.Close() }

// RotateKey signs from now on with a new key, published beside the old
// ones (the grace period a provider gives verifiers when it rotates).
func (p *Provider) RotateKey() error {
	key, err := newKey()
	if err != nil {
		return err
	}
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.keys = append([]signingKey{key}, p.store.keys...)
	return nil
}

// SignIn signs a user in as a browser would, without one: the authorize
// request with PKCE, the provider's login form, the redirect back with a
// code, and the code exchanged at the token endpoint. It returns the id
// token.
func (p *Provider) SignIn(ctx context.Context, username, password, redirectURI string) (string, error) {
	verifier := rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(verifier))
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirectURI) {
			return http.ErrUseLastResponse // back at the client: the code is in the address
		}
		return nil
	}}
	q := url.Values{"response_type": {"code"}, "client_id": {ClientID}, "redirect_uri": {redirectURI}, "scope": {"openid email profile"},
		"state": {rand.Text()}, "nonce": {rand.Text()}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	var endpoints struct {
		Authorize string `json:"authorization_endpoint"`
		Token     string `json:"token_endpoint"`
	}
	resp, err := get(ctx, client, p.Issuer+"/.well-known/openid-configuration")
	if err != nil {
		return "", err
	}
	err = json.NewDecoder(resp.Body).Decode(&endpoints)
	resp.Body.Close()
	if err != nil {
		return "", fmt.Errorf("sign-in: discovery: %w", err)
	}
	if resp, err = get(ctx, client, endpoints.Authorize+"?"+q.Encode()); err != nil {
		return "", err
	}
	resp.Body.Close()
	id := resp.Request.URL.Query().Get("authRequestID") // the login page's address
	if id == "" {
		return "", fmt.Errorf("sign-in: the provider did not show its login page (%s %s)", resp.Status, resp.Request.URL.Path)
	}
	form := url.Values{"id": {id}, "username": {username}, "password": {password}}
	resp, err = post(ctx, client, p.Issuer+"/login/username", form)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Query().Get("code") == "" {
		return "", fmt.Errorf("sign-in of %s: no code came back (%s)", username, resp.Status)
	}
	resp, err = post(ctx, client, endpoints.Token, url.Values{"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")},
		"redirect_uri": {redirectURI}, "code_verifier": {verifier}, "client_id": {ClientID}})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tokens struct {
		IDToken string `json:"id_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tokens); err != nil || tokens.IDToken == "" {
		return "", fmt.Errorf("sign-in of %s: the token endpoint answered %s without an id token", username, resp.Status)
	}
	return tokens.IDToken, nil
}

func get(ctx context.Context, client *http.Client, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return client.Do(req)
}

func post(ctx context.Context, client *http.Client, u string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return client.Do(req)
}

// store is the example storage with this deployment's keys, groups claim
// and client settings.
type store struct {
	*storage.Storage
	mu     sync.Mutex
	keys   []signingKey // the first signs; all are published
	groups map[string][]string
}

var _ exampleop.Storage = (*store)(nil)

func (s *store) SigningKey(context.Context) (op.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[0], nil
}

func (s *store) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *store) KeySet(context.Context) ([]op.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []op.Key
	for _, k := range s.keys {
		keys = append(keys, publicKey{k})
	}
	return keys, nil
}

// GetClientByClientID has the console's client put email and profile in
// the id token, as Cognito does: the console sends the id token to the API.
func (s *store) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return idTokenClaims{c}, nil
}

// SetUserinfoFromRequest adds the user's groups to their id token.
func (s *store) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	if g, ok := s.groups[req.GetSubject()]; ok {
		info.AppendClaims(GroupsClaim, g)
	}
	return nil
}

type idTokenClaims struct{ op.Client }

func (idTokenClaims) IDTokenUserinfoClaimsAssertion() bool { return true }

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func newKey() (signingKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return signingKey{}, fmt.Errorf("signing key: %w", err)
	}
	return signingKey{id: strings.ToLower(rand.Text()[:12]), key: k}, nil
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }

// userStore holds the users by id (their username).
type userStore map[string]*storage.User

func (u userStore) GetUserByID(id string) *storage.User { return u[id] }

func (u userStore) GetUserByUsername(name string) *storage.User { return u[name] }

func (u userStore) ExampleClientID() string { return storage.ServiceUserID }
