// Command devserver runs the service on 127.0.0.1 against the local stack:
// it creates the tables from template.yaml and serves the management API
// through the real Lambda handlers behind localgw. Start it with `make run`,
// which brings up DynamoDB Local and the SES emulator first.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/patservice/pat/internal/app"
	"github.com/patservice/pat/internal/awsclient"
	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/console"
	"github.com/patservice/pat/internal/devstack"
	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/lifecycle"
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
	for k, v := range map[string]string{"TABLE_NAME": "pat-tokens", "AUDIT_TABLE_NAME": "pat-audit",
		"MAIL_FROM": "tokens@localhost", "CONSOLE_BASE_URL": "http://" + *addr + "/console"} {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := awsclient.DynamoDB()
	if err != nil {
		return err
	}
	if err := createTables(ctx, db, *template, cfg); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	mail, err := awsclient.SES()
	if err != nil {
		return err
	}
	id := devIdentity(cfg.Claims)
	authCfg, err := config.AuthorizerFromEnv()
	if err != nil {
		return err
	}
	mux, err := devstack.Handler(devstack.Options{Config: cfg, Authorizer: authCfg, DB: db, Mail: mail, Claims: id.claims, Log: log,
		Console: console.Options{Config: config.Console{DemoAPIURL: "http://" + *addr}, DevUsers: id.consoleUsers()}})
	if err != nil {
		return err
	}
	job, err := localJob(cfg, db, mail, *addr, log)
	if err != nil {
		return err
	}
	mux.HandleFunc("POST /dev/lifecycle", runJob(job))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s (set PAT_ADDR to use another port): %w", *addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	printHelp("http://"+ln.Addr().String(), id)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func createTables(ctx context.Context, db *dynamodb.Client, template string, cfg config.Config) error {
	data, err := os.ReadFile(template)
	if err != nil {
		return fmt.Errorf("read template (run from the repository root): %w", err)
	}
	specs, err := dynamo.ParseTemplate(data)
	if err != nil {
		return err
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

// identity is the development user standing in for a signed-in session:
// there is no JWT issuer locally. A request may name another user in the
// X-Dev-User header, to see how users are kept apart.
type identity struct {
	userID, email, permissions, groups string
	names                              config.Claims
}

func devIdentity(names config.Claims) identity {
	return identity{
		userID:      envOr("DEV_USER_ID", "dev-user"),
		email:       envOr("DEV_EMAIL", "dev@example.com"),
		permissions: envOr("DEV_PERMISSIONS", "crm:* products:* orders:read accounting:read"),
		groups:      envOr("DEV_GROUPS", names.AdminGroup), // the development user is an administrator
		names:       names,
	}
}

func (id identity) claims(r *http.Request) map[string]string {
	user, email, groups := id.userID, id.email, id.groups
	if other := r.Header.Get("X-Dev-User"); other != "" {
		user, email, groups = other, other+"@example.com", "" // another user, never an administrator
	}
	return map[string]string{id.names.UserID: user, id.names.Email: email, id.names.Permissions: "[" + id.permissions + "]",
		id.names.Groups: "[" + groups + "]"}
}

// consoleUsers are the users the local console can switch between: the
// development user, and another (never an administrator) via X-Dev-User.
func (id identity) consoleUsers() []console.DevUser {
	return []console.DevUser{
		{ID: id.userID, Label: id.userID + " (administrator)"},
		{ID: "alice", Label: "alice (user)", Header: "alice"},
	}
}

func printHelp(base string, id identity) {
	fmt.Printf(`
PAT service running locally
  Console         %[1]s/console/   (open it in a browser; signed in as %[2]s, switch user in the header)
  Management API  %[1]s/tokens   (signed in as %[2]s, permissions: %[3]s, administrator)
  Admin API       %[1]s/admin/tokens, /admin/users/<id>, /admin/audit
  Protected API   %[1]s/api/<resource>/...   (the real authorizer, REST API semantics; an echo backend)
  SES inbox       %[4]s   (open it in a browser: the mails the lifecycle job sends)
  Lifecycle job   POST %[1]s/dev/lifecycle?now=<RFC 3339 time>[&dryRun=true]
  Stop with Ctrl-C.

Try it (paste into another terminal; each step keeps what the next needs):

  # create a token: the response shows it once, in "token"
  RESP=$(curl -s -X POST %[1]s/tokens -H 'Content-Type: application/json' \
    -d '{"name":"my laptop","scopes":["crm:read","orders:read"],"expiresInDays":30}'); echo "$RESP"
  ID=$(echo "$RESP" | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
  TOKEN=$(echo "$RESP" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')

  # call the protected API with it
  curl -s -H "Authorization: Bearer $TOKEN" %[1]s/api/crm/contacts            # 200: the echo shows user, token, scopes
  curl -s -i -X DELETE -H "Authorization: Bearer $TOKEN" %[1]s/api/crm/contacts/7  # 403 insufficient_scope
  curl -s -i %[1]s/api/crm/contacts                                            # 401: no token

  curl -s %[1]s/tokens                                    # list your tokens
  curl -s -X PATCH %[1]s/tokens/$ID -H 'Content-Type: application/json' -d '{"name":"work laptop"}'
  curl -s -H 'X-Dev-User: mallory' %[1]s/tokens/$ID       # another user: 404

  # rotate: a new token, the old one revoked in the same transaction
  NEW=$(curl -s -X POST %[1]s/tokens/$ID/rotate | tee /dev/stderr | sed -n 's/^{"id":"\([^"]*\)".*/\1/p'); echo
  curl -s %[1]s/tokens/$ID/events                         # audit trail of the old token
  curl -s -i -X DELETE %[1]s/tokens/$NEW                  # revoke the new one: 204
  curl -s %[1]s/tokens/$NEW                               # "status":"revoked"
  curl -s -i -H "Authorization: Bearer $TOKEN" %[1]s/api/crm/contacts   # the rotated-away token: 401

  # administration (you are an administrator; X-Dev-User: mallory is not)
  T2=$(curl -s -X POST %[1]s/tokens -H 'X-Dev-User: bob' -H 'Content-Type: application/json' \
    -d '{"name":"bob ci","scopes":["crm:read"]}'); B=$(echo "$T2" | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
  BT=$(echo "$T2" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  curl -s '%[1]s/admin/tokens?status=active'             # every user's tokens
  curl -s -X POST %[1]s/admin/tokens/$B/lock -H 'Content-Type: application/json' -d '{"reason":"seen in a public repository"}'
  curl -s -i -H "Authorization: Bearer $BT" %[1]s/api/crm/contacts   # locked: 401 (bob got a mail: see the SES inbox)
  curl -s -X POST %[1]s/admin/tokens/$B/unlock
  curl -s -i -H "Authorization: Bearer $BT" %[1]s/api/crm/contacts   # 200 again
  curl -s -X PATCH %[1]s/admin/users/bob -H 'Content-Type: application/json' -d '{"status":"disabled","reason":"left"}'
  curl -s -i -H "Authorization: Bearer $BT" %[1]s/api/crm/contacts   # bob is disabled: 401
  curl -s -X POST %[1]s/admin/tokens/revoke-all -H 'Content-Type: application/json' -d '{"owner":"bob","preview":true}'
  curl -s -X POST %[1]s/admin/tokens/revoke-all -H 'Content-Type: application/json' -d '{"owner":"bob","confirm":1,"reason":"offboarding"}'
  curl -s '%[1]s/admin/audit?owner=bob'                  # the audit log, newest first
  curl -s -i -H 'X-Dev-User: mallory' %[1]s/admin/tokens   # not an administrator: 403

  # the lifecycle job, at a chosen "now": a reminder 14 days before deletion, then the deletion
  curl -s -X POST %[1]s/tokens -H 'Content-Type: application/json' -d '{"name":"idle","scopes":["crm:read"],"expiresInDays":365}'
  curl -s -X POST "%[1]s/dev/lifecycle?now=$(date -u -d '+167 days' +%%Y-%%m-%%dT%%H:%%M:%%SZ)&dryRun=true"   # what it would do
  curl -s -X POST "%[1]s/dev/lifecycle?now=$(date -u -d '+167 days' +%%Y-%%m-%%dT%%H:%%M:%%SZ)"   # then see the SES inbox

`, base, id.userID, id.permissions, envOr("SES_INBOX_URL", "(not running)"))
}

// localJob is the lifecycle job on the local stack, mailing the SES emulator.
func localJob(cfg config.Config, db *dynamodb.Client, mail *ses.Client, addr string, log *slog.Logger) (*lifecycle.Job, error) {
	base := "http://" + addr
	return app.NewJob(config.Job{Config: cfg, KeepURL: envOr("KEEP_URL", base+"/keep")}, db, mail, log)
}

// runJob runs the lifecycle job at the time the query names (now, RFC 3339;
// default: the real time), dry if dryRun=true, and answers with its report.
func runJob(job *lifecycle.Job) http.HandlerFunc {
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
		rep, err := job.Run(r.Context(), lifecycle.Options{Now: now, DryRun: r.URL.Query().Get("dryRun") == "true"})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
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
