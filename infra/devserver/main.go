// Command devserver runs the service on 127.0.0.1 against the local stack:
// it creates the tables from template.yaml and serves the management API
// through the real Lambda handlers behind localgw. Start it with `make run`,
// which brings up DynamoDB Local and the SES emulator first.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/patservice/pat/internal/app"
	"github.com/patservice/pat/internal/awsclient"
	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/console"
	"github.com/patservice/pat/internal/cursorkey"
	"github.com/patservice/pat/internal/devstack"
	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/lifecycle"
	"github.com/patservice/pat/internal/localgw"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/sesmail"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "devserver:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", envOr("PAT_ADDR", "127.0.0.1:8080"), "address to listen on (loopback only)")
	template := flag.String("template", "template.yaml", "SAM template whose tables to create")
	flag.Parse()

	// Local defaults for what the template passes to the functions on AWS.
	// The development users' permissions come from their groups, as a
	// plain Cognito pool's users' do. The cursor key's secret is created
	// at start (serve) unless CURSOR_KEY_SECRET_ARN names one.
	for k, v := range map[string]string{"TABLE_NAME": "pat-tokens", "AUDIT_TABLE_NAME": "pat-audit",
		"MAIL_FROM": "tokens@localhost", "CONSOLE_BASE_URL": "http://" + *addr + "/console", "GROUP_PERMISSIONS": localGroupPermissions} {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s (set PAT_ADDR to use another port): %w", *addr, err)
	}
	return serve(ctx, ln, *template, os.Stdout)
}

// serve runs the local service on ln until ctx ends, printing what to try
// to out. Ctrl-C (ctx) is a clean end: nil.
func serve(ctx context.Context, ln net.Listener, template string, out io.Writer) error {
	defer ln.Close()
	base := "http://" + ln.Addr().String()
	if err := cursorSecret(ctx); err != nil {
		return err
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	db, err := awsclient.DynamoDB()
	if err != nil {
		return err
	}
	if err := createTables(ctx, db, template, cfg); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	mail, err := sesmail.NewClient()
	if err != nil {
		return err
	}
	id := devIdentity(cfg.Claims)
	authCfg, err := config.AuthorizerFromEnv()
	if err != nil {
		return err
	}
	var identity localgw.Authorizer = localgw.Claims(id.claims)
	consoleOpts := console.Options{Config: config.Console{DemoAPIURL: base}, DevUsers: id.consoleUsers()}
	provider, err := oidcFromEnv(ctx)
	if err != nil {
		return err
	}
	if provider != nil {
		identity, consoleOpts = provider.jwt, provider.console(base)
	}
	mux, err := devstack.Handler(devstack.Options{Config: cfg, Authorizer: authCfg, DB: db, Mail: mail, Identity: identity, Log: log, Console: consoleOpts})
	if err != nil {
		return err
	}
	job, err := localJob(cfg, db, mail, base, log)
	if err != nil {
		return err
	}
	mux.HandleFunc("POST /dev/lifecycle", runJob(job, dynamo.NewStore(db, cfg.TokensTable, cfg.AuditTable)))

	srv := &http.Server{Handler: localgw.LoopbackOnly(ln.Addr(), sameOrigin(mux)), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if provider != nil {
		provider.printHelp(out, base)
	} else {
		printHelp(out, base, id)
	}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// cursorSecret creates the cursor key's secret in the local stack's
// Secrets Manager (moto's server, which infra/stack.sh starts), as the
// stack creates CursorKeySecret, and names it in CURSOR_KEY_SECRET_ARN,
// unless that names one already: the server reads its cursor keys as the
// functions do (internal/cursorkey), and a put-secret-value on it rotates
// them as on AWS. A new secret at each start: cursors do not outlive the
// server.
func cursorSecret(ctx context.Context) error {
	if os.Getenv("CURSOR_KEY_SECRET_ARN") != "" {
		return nil
	}
	if os.Getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER") == "" {
		return errors.New("AWS_ENDPOINT_URL_SECRETS_MANAGER is not set: start the server with make run (infra/stack.sh starts Secrets Manager), or set CURSOR_KEY_SECRET_ARN")
	}
	sm, err := cursorkey.NewClient()
	if err != nil {
		return err
	}
	out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String("pat-cursor-key-" + strings.ToLower(rand.Text()[:10])),
		SecretString: aws.String(base64.StdEncoding.EncodeToString([]byte(rand.Text() + rand.Text()))),
	})
	if err != nil {
		return fmt.Errorf("create the cursor key's secret: %w", err)
	}
	return os.Setenv("CURSOR_KEY_SECRET_ARN", aws.ToString(out.ARN))
}

// sameOrigin refuses cross-site requests that change state (403): on AWS
// the management API takes a bearer JWT a page on another site cannot
// send, but the local server knows its user without one, so any page the
// developer opens could otherwise post to it (run the job, rotate a token
// by id). Browsers say where a request comes from (Sec-Fetch-Site, else
// Origin); curl and scripts send neither and pass.
func sameOrigin(h http.Handler) http.Handler {
	return http.NewCrossOriginProtection().Handler(h)
}

func createTables(ctx context.Context, db *dynamodb.Client, template string, cfg config.Config) error {
	// The tables are in a stack template.yaml nests: read as deployed.
	specs, err := localstack.Specs(filepath.Dir(template))
	if err != nil {
		return fmt.Errorf("read the tables of %s (run from the repository root): %w", template, err)
	}
	for logicalID, name := range map[string]string{"TokensTable": cfg.TokensTable, "AuditTable": cfg.AuditTable} {
		spec, ok := specs[logicalID]
		if !ok {
			return fmt.Errorf("template has no %s", logicalID)
		}
		if err := dynamo.EnsureTable(ctx, db, spec, name); err != nil {
			return err
		}
	}
	return nil
}

// localGroupPermissions is GROUP_PERMISSIONS for `make run`: the
// development user's groups grant crm:*, products:*, orders:read and
// accounting:read; the administrators' group grants nothing by itself.
const localGroupPermissions = `{"sales": ["crm:*", "products:*"], "finance": ["accounting:read", "orders:read"]}`

// identity is the development user standing in for a signed-in session:
// there is no JWT issuer locally. Its claims have the shape of a Cognito id
// token's (groups, and a permissions claim only if DEV_PERMISSIONS is set)
// and go through the same claims mapping as on AWS. A request may name
// another user in the X-Dev-User header, to see how users are kept apart,
// and that user's groups in X-Dev-Groups.
type identity struct {
	userID, email, permissions, groups string
	names                              config.Claims
}

func devIdentity(names config.Claims) identity {
	return identity{
		userID:      envOr("DEV_USER_ID", "dev-user"),
		email:       envOr("DEV_EMAIL", "dev@example.com"),
		permissions: os.Getenv("DEV_PERMISSIONS"),
		groups:      envOr("DEV_GROUPS", names.AdminGroup+" sales finance"), // the development user is an administrator
		names:       names,
	}
}

// otherGroups are the groups of a user named by X-Dev-User: the development
// user's without the administrators' group.
func (id identity) otherGroups() string {
	return withoutAdmin(strings.Fields(id.groups), id.names.AdminGroup)
}

// withoutAdmin joins groups, leaving out the administrators' group: only the
// development user is an administrator.
func withoutAdmin(groups []string, adminGroup string) string {
	var out []string
	for _, g := range groups {
		if g != adminGroup {
			out = append(out, g)
		}
	}
	return strings.Join(out, " ")
}

func (id identity) claims(r *http.Request) map[string]string {
	user, email, groups := id.userID, id.email, id.groups
	if other := r.Header.Get("X-Dev-User"); other != "" {
		user, email, groups = other, other+"@example.com", id.otherGroups()
		if g, ok := r.Header["X-Dev-Groups"]; ok {
			groups = withoutAdmin(strings.FieldsFunc(strings.Join(g, ","), func(r rune) bool { return r == ',' || r == ' ' }), id.names.AdminGroup)
		}
	}
	c := map[string]string{id.names.UserID: user, id.names.Email: email, id.names.Groups: "[" + groups + "]"}
	if id.permissions != "" {
		c[id.names.Permissions] = "[" + id.permissions + "]"
	}
	return c
}

// provider is the OpenID provider the local server signs users in with
// instead of the development identity: PAT_OIDC_ISSUER and
// PAT_OIDC_CLIENT_ID (the console's client, and the audience of the id
// tokens it sends). Its id tokens are verified as the management API's JWT
// authorizer verifies them on AWS (issuer, audience: the template's
// JwtIssuer and JwtAudience), and the console signs in at the endpoints its
// discovery document names.
type provider struct {
	clientID, scopes string
	discovery        localgw.Discovery
	jwt              *localgw.JWTAuthorizer
}

// oidcFromEnv returns the provider PAT_OIDC_ISSUER names, nil without one.
func oidcFromEnv(ctx context.Context) (*provider, error) {
	issuer, clientID := os.Getenv("PAT_OIDC_ISSUER"), os.Getenv("PAT_OIDC_CLIENT_ID")
	if issuer == "" && clientID == "" {
		return nil, nil
	}
	if issuer == "" || clientID == "" {
		return nil, errors.New("PAT_OIDC_ISSUER and PAT_OIDC_CLIENT_ID: set both (or neither, for the development identity)")
	}
	jwt, err := localgw.NewJWTAuthorizer(ctx, localgw.JWTConfig{Issuer: issuer, Audience: []string{clientID}})
	if err != nil {
		return nil, fmt.Errorf("PAT_OIDC_ISSUER: %w", err)
	}
	return &provider{clientID: clientID, scopes: envOr("OIDC_SCOPES", "openid email profile"), discovery: jwt.Discovery(), jwt: jwt}, nil
}

// console signs the page in with the provider: code + PKCE, as on AWS.
func (p *provider) console(base string) console.Options {
	return console.Options{Config: config.Console{DemoAPIURL: base, OIDC: config.OIDC{
		Issuer: p.discovery.Issuer, ClientID: p.clientID, Scopes: p.scopes,
		AuthorizeURL: p.discovery.AuthorizationEndpoint, TokenURL: p.discovery.TokenEndpoint, LogoutURL: p.discovery.EndSessionEndpoint,
	}}}
}

func (p *provider) printHelp(out io.Writer, base string) {
	fmt.Fprintf(out, `
PAT service running locally, signing in with %[2]s
  Console         %[1]s/console/   (open it in a browser: it signs in at %[2]s as client %[3]s, whose redirect URI is %[1]s/console/)
  Management API  %[1]s/tokens   (an id token of client %[3]s as Authorization: Bearer, verified as API Gateway's JWT authorizer does)
  Protected API   %[1]s/api/<resource>/...   (the real authorizer, REST API semantics; an echo backend)
  SES inbox       %[4]s
  Lifecycle job   POST %[1]s/dev/lifecycle?now=<RFC 3339 time>[&dryRun=true]
  Stop with Ctrl-C.
`, base, p.discovery.Issuer, p.clientID, envOr("SES_INBOX_URL", "(not running)"))
}

// consoleUsers are the users the local console can switch between: the
// development user, and another (never an administrator) via X-Dev-User.
func (id identity) consoleUsers() []console.DevUser {
	return []console.DevUser{
		{ID: id.userID, Label: id.userID + " (administrator)"},
		{ID: "alice", Label: "alice (user)", Header: "alice"},
	}
}

// printHelp prints the URLs and a walkthrough that works as printed and
// can be pasted again on the same server (fresh tokens each time, bob
// enabled again at the end).
func printHelp(out io.Writer, base string, id identity) {
	fmt.Fprintf(out, `
PAT service running locally
  Console         %[1]s/console/   (open it in a browser; signed in as %[2]s, switch user in the header)
  Management API  %[1]s/tokens   (signed in as %[2]s, groups: %[3]s; GROUP_PERMISSIONS=%[5]s)
  Admin API       %[1]s/admin/tokens, /admin/users/<id>, /admin/users/<id>/tokens, /admin/audit
  Protected API   %[1]s/api/<resource>/...   (the real authorizer, REST API semantics; an echo backend)
  SES inbox       %[4]s   (open it in a browser: the mails the lifecycle job sends)
  Lifecycle job   POST %[1]s/dev/lifecycle?now=<RFC 3339 time>[&dryRun=true]
  Error codes     %[1]s/problems/<code>
  Stop with Ctrl-C.

Try it (paste into another terminal; each step keeps what the next needs; paste it again as often as you like):

  BASE=%[1]s
  # create a token: the response shows it once, in "token"
  RESP=$(curl -s -X POST $BASE/tokens -H 'Content-Type: application/json' \
    -d '{"name":"my laptop","scopes":["crm:read","orders:read"],"expiresInDays":30}'); echo "$RESP"
  ID=$(echo "$RESP" | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
  TOKEN=$(echo "$RESP" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')

  # call the protected API with it
  curl -s -H "Authorization: Bearer $TOKEN" $BASE/api/crm/contacts              # 200: the echo shows user, token, scopes
  curl -s -i -X DELETE -H "Authorization: Bearer $TOKEN" $BASE/api/crm/contacts/7   # 403 insufficient_scope, scope="crm:delete"
  curl -s -i $BASE/api/crm/contacts                                             # 401: no token, no error code

  curl -s $BASE/tokens                                    # list your tokens
  curl -s -X PATCH $BASE/tokens/$ID -H 'Content-Type: application/json' -d '{"name":"work laptop"}'
  curl -s -H 'X-Dev-User: mallory' $BASE/tokens/$ID       # another user: 404

  # rotate: a new token, the old one revoked in the same transaction
  NEW=$(curl -s -X POST $BASE/tokens/$ID/rotate | tee /dev/stderr | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
  curl -s $BASE/tokens/$ID/events                         # audit trail of the old token
  curl -s -i -X DELETE $BASE/tokens/$NEW                  # revoke the new one: 204
  curl -s $BASE/tokens/$NEW                               # "status":"revoked"
  curl -s -i -H "Authorization: Bearer $TOKEN" $BASE/api/crm/contacts   # the rotated-away token: 401

  # administration (you are an administrator; X-Dev-User: mallory is not)
  BOB=$(curl -s -X POST $BASE/tokens -H 'X-Dev-User: bob' -H 'Content-Type: application/json' \
    -d '{"name":"bob ci","scopes":["crm:read"]}')
  BOB_ID=$(echo "$BOB" | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
  BOB_TOKEN=$(echo "$BOB" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  curl -s "$BASE/admin/tokens?status=active"             # every user's tokens
  curl -s -X POST $BASE/admin/tokens/$BOB_ID/lock -H 'Content-Type: application/json' -d '{"reason":"seen in a public repository"}'
  curl -s -i -H "Authorization: Bearer $BOB_TOKEN" $BASE/api/crm/contacts   # locked: 401 (bob got a mail: see the SES inbox)
  curl -s -X POST $BASE/admin/tokens/$BOB_ID/unlock
  curl -s -i -H "Authorization: Bearer $BOB_TOKEN" $BASE/api/crm/contacts   # 200 again
  curl -s -X POST $BASE/admin/users/bob/tokens -H 'Content-Type: application/json' \
    -d '{"name":"bob deploy","scopes":["crm:read"],"expiresInDays":7}'          # a token for bob, shown to you once; bob is told
  curl -s -X PATCH $BASE/admin/users/bob -H 'Content-Type: application/json' -d '{"status":"disabled","reason":"left"}'
  curl -s -i -H "Authorization: Bearer $BOB_TOKEN" $BASE/api/crm/contacts   # bob is disabled: 401
  N=$(curl -s -X POST $BASE/admin/tokens/revoke-all -H 'Content-Type: application/json' -d '{"owner":"bob","preview":true}' \
    | tee /dev/stderr | sed -n 's/.*"count":\([0-9]*\).*/\1/p')
  curl -s -X POST $BASE/admin/tokens/revoke-all -H 'Content-Type: application/json' -d '{"owner":"bob","confirm":'$N',"reason":"offboarding"}'
  curl -s "$BASE/admin/audit?owner=bob"                  # the audit log, newest first
  curl -s -i -H 'X-Dev-User: mallory' $BASE/admin/tokens   # not an administrator: 403
  curl -s -X PATCH $BASE/admin/users/bob -H 'Content-Type: application/json' -d '{"status":"active","reason":"back"}'
  curl -s -X POST $BASE/tokens -H 'X-Dev-User: newcomer' -H 'X-Dev-Groups: marketing' -H 'Content-Type: application/json' \
    -d '{"name":"x","scopes":["crm:read"]}'            # a group with no grants: 403 no_permissions

  # the lifecycle job, at a chosen "now": a reminder 14 days before deletion, then the deletion
  curl -s -X POST $BASE/tokens -H 'Content-Type: application/json' -d '{"name":"idle","scopes":["crm:read"],"expiresInDays":365}'
  curl -s -X POST "$BASE/dev/lifecycle?now=$(date -u -d '+167 days' +%%Y-%%m-%%dT%%H:%%M:%%SZ)&dryRun=true"   # what it would do
  curl -s -X POST "$BASE/dev/lifecycle?now=$(date -u -d '+167 days' +%%Y-%%m-%%dT%%H:%%M:%%SZ)"   # then see the SES inbox

`, base, id.userID, id.groups, envOr("SES_INBOX_URL", "(not running)"), os.Getenv("GROUP_PERMISSIONS"))
}

// localJob is the lifecycle job on the local stack, mailing the SES emulator.
func localJob(cfg config.Config, db *dynamodb.Client, mail *ses.Client, base string, log *slog.Logger) (*lifecycle.Job, error) {
	return app.NewJob(config.Job{Config: cfg, KeepURL: envOr("KEEP_URL", base+"/keep")}, db, mail, log)
}

// maxTimeTravelYears bounds how far from the real time a dev run may be:
// far enough for any lifetime a developer tries out, near enough to be a
// date the job's day buckets and mails handle (9999-12-31 was not).
const maxTimeTravelYears = 10

// bookmark is the job's record of the first day bucket its next run reads.
type bookmark interface {
	SaveNextDay(ctx context.Context, day string) error
}

// runJob runs the lifecycle job at the time the query names (now, RFC 3339;
// default: the real time), dry if dryRun=true, and answers with its report.
// Time travel must not strand later runs: a run into the future leaves the
// bookmark there, and tokens written afterwards (at the real time) are due
// on days before it. So every dev run starts over from its look-back, as a
// fresh deployment's first run does (the local table is small).
func runJob(job *lifecycle.Job, state bookmark) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		if v := r.URL.Query().Get("now"); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				http.Error(w, "now: want an RFC 3339 time such as 2027-06-01T08:00:00Z", http.StatusBadRequest)
				return
			}
			now = t
		}
		if real := time.Now(); now.Before(real.AddDate(-maxTimeTravelYears, 0, 0)) || now.After(real.AddDate(maxTimeTravelYears, 0, 0)) {
			http.Error(w, fmt.Sprintf("now: at most %d years from the real time", maxTimeTravelYears), http.StatusBadRequest)
			return
		}
		if err := state.SaveNextDay(r.Context(), ""); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		rep, err := job.Run(r.Context(), lifecycle.Options{Now: now, DryRun: r.URL.Query().Get("dryRun") == "true"})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if rep.Actions == nil {
			rep.Actions = []lifecycle.Action{}
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
