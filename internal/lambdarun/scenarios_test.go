package lambdarun_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/lambdarun"
	"github.com/patservice/pat/internal/lambdarun/cloudwatch"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
)

// scenarios provoke the failure modes the alarms watch, with the real
// bootstraps: their lines are what the alarm trace reads.
var scenarios = map[string]func(t *testing.T, s *suite){
	// The authorizer fails closed when DynamoDB cannot be reached, and
	// says so in the metric AuthorizerDecisionErrorsAlarm watches.
	"authorizer with DynamoDB unreachable": func(t *testing.T, s *suite) {
		w := s.world(t, "authorizer")
		seedToken(t, w)
		w.e = s.start(t, w.stack, w.fn, unreachable(t), w.mail.URL, os.Getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER"))
		inv := w.invoke(t, w.event(t, "authorizer-http"))
		if inv.FunctionError != "errorString: authorizer unavailable" {
			t.Fatalf("answer %q %s, want the error API Gateway turns into 500", inv.FunctionError, inv.Payload)
		}
		if !hasLine(inv, "Decision", "error") {
			t.Fatalf("no decision line with Decision=error among:\n%s", lines(inv))
		}
	},
	// The job's reminder to an owner SES refuses for the recipient (on
	// its block list) is not retried and marks the owner unreachable
	// (MailRejected); at the deletion, the job holds it (DeletionsHeld).
	"lifecycle with a refused reminder and a held deletion": func(t *testing.T, s *suite) {
		w := s.world(t, "lifecycle")
		// Times run ahead of the real clock: DynamoDB Local's TTL sweeper
		// deletes items whose TTL the real clock has passed.
		t0 := time.Now().UTC().Truncate(24 * time.Hour).Add(9 * time.Hour)
		w.Clock.Set(t0)
		owner := pat.Identity{UserID: "user-carol", Email: "carol@example.com", Permissions: []string{"crm:read"}}
		created := w.Create(t, owner, pat.CreateInput{Name: "nightly export", Scopes: []string{"crm:read"}, ExpiresInDays: ptr(365)})
		w.mail.RefuseRecipient(owner.Email, blocklisted)
		w.run(t)
		day := 24 * time.Hour
		rep := w.lifecycle(t, t0.Add(166*day+time.Hour))
		if rep["rejected"] != 1.0 || !logged(w, "MailRejected") {
			t.Fatalf("the refused reminder: %v", rep)
		}
		w.lifecycle(t, t0.Add(177*day+time.Hour))
		if rep := w.lifecycle(t, t0.Add(180*day+2*time.Hour)); rep["held"] != 1.0 {
			t.Fatalf("the deletion of %s was not held: %v", created.Token.ID, rep)
		}
	},
	// SES refusing the sender (the account in its sandbox: the recipient
	// is not verified) stops the job's mailing, marks nobody and says so
	// in the metric MailSendingBlockedAlarm watches.
	"lifecycle with the sender refused (SES sandbox)": func(t *testing.T, s *suite) {
		w := s.world(t, "lifecycle")
		t0 := time.Now().UTC().Truncate(24 * time.Hour).Add(9 * time.Hour)
		w.Clock.Set(t0)
		owner := pat.Identity{UserID: "user-erin", Email: "erin@example.com", Permissions: []string{"crm:read"}}
		w.Create(t, owner, pat.CreateInput{Name: "reports", Scopes: []string{"crm:read"}, ExpiresInDays: ptr(365)})
		w.mail.Refuse(localstack.SESRefusal{Code: "MessageRejected",
			Message: "Email address is not verified. The following identities failed the check in region US-EAST-1: erin@example.com"}, -1)
		w.run(t)
		rep := w.lifecycle(t, t0.Add(166*24*time.Hour+time.Hour))
		if stopped, _ := rep["stopped"].(string); !strings.Contains(stopped, "sandbox") || rep["rejected"] != 0.0 {
			t.Fatalf("a run against a sandboxed account: %v", rep)
		}
		if u := user(t, w, owner.UserID); u.Unreachable != nil {
			t.Fatalf("the sender's refusal marked the owner unreachable: %+v", u)
		}
		if !logged(w, "MailSendingBlocked") {
			t.Fatalf("the blocked sending was not logged with its metric:\n%s", w.e.Stdout())
		}
	},
	// With ConsoleBaseUrl left empty (the default), an administrator's
	// action mails the owner at once (through SES, from MailFrom, under
	// the function's policy), linking to the console of the API the
	// request reached; a notice SES refuses is dropped and logged.
	"an administrator's lock mails the owner at once": func(t *testing.T, s *suite) {
		w := s.world(t, "admin-lock-token")
		dave := map[string]any{"sub": "user-dave", "email": "dave@example.com", "permissions": "[crm:read]"}
		first := w.seed(t, "create-token", as(dave), body(`{"name":"first","scopes":["crm:read"]}`))["id"].(string)
		second := w.seed(t, "create-token", as(dave), body(`{"name":"second","scopes":["crm:read"]}`))["id"].(string)
		w.run(t)
		before := len(localstack.Inbox(t, "dave@example.com"))
		want(t, w.call(t, w.event(t, "admin-lock-token", onToken(first))), 200, "")
		if got := len(localstack.Inbox(t, "dave@example.com")); got != before+1 {
			t.Fatalf("%d mails to the owner after the lock, want %d", got, before+1)
		}
		w.mail.RefuseRecipient("dave@example.com", blocklisted)
		want(t, w.call(t, w.event(t, "admin-lock-token", onToken(second))), 200, "")
		if !logged(w, "MailRejected") {
			t.Fatalf("the refused notice was not logged with its metric:\n%s", w.e.Stdout())
		}
	},
	// So does every other administrator's action on a token: each sends
	// under its own policy.
	"every administrator's action mails the owner at once": func(t *testing.T, s *suite) {
		for _, c := range []struct {
			fn     string
			status int
			edits  func(owner string) []edit
		}{
			{"admin-create-token", 201, func(owner string) []edit {
				return []edit{set("rawPath", "/admin/users/"+owner+"/tokens"), set("pathParameters", map[string]any{"id": owner})}
			}},
			{"admin-unlock-token", 200, nil},
			{"admin-revoke-token", 204, nil},
			{"admin-revoke-all", 200, func(owner string) []edit {
				return []edit{body(`{"owner":"` + owner + `","confirm":1,"reason":"offboarding"}`)}
			}},
		} {
			t.Run(c.fn, func(t *testing.T) {
				t.Parallel()
				w := s.world(t, c.fn, map[string]string{"ConsoleBaseUrl": "https://tokens.example.com/console"})
				// An owner of this run's own: the emulator's inbox is shared.
				owner, address := "user-"+c.fn, c.fn+"@example.com"
				claims := map[string]any{"sub": owner, "email": address, "permissions": "[crm:read]"}
				w.subst[sampleTokenID] = w.seed(t, "create-token", as(claims), body(`{"name":"ci","scopes":["crm:read"]}`))["id"].(string)
				if c.fn == "admin-unlock-token" {
					w.seed(t, "admin-lock-token")
				}
				w.run(t)
				var edits []edit
				if c.edits != nil {
					edits = c.edits(owner)
				}
				before := len(localstack.Inbox(t, address))
				want(t, w.call(t, w.event(t, c.fn, edits...)), c.status, "")
				if got := len(localstack.Inbox(t, address)); got == before {
					t.Fatalf("no mail to the owner after %s", c.fn)
				}
			})
		}
	},
	// A new address from the identity provider is told to the old one at
	// once, by whichever change of a token the owner makes first.
	"an address change is told to the old address": func(t *testing.T, s *suite) {
		for _, fn := range []string{"create-token", "update-token", "rotate-token", "extend-token", "update-me"} {
			t.Run(fn, func(t *testing.T) {
				t.Parallel()
				w := s.world(t, fn, map[string]string{"ConsoleBaseUrl": "https://tokens.example.com/console"})
				owner, old := "user-moving-"+fn, "before-"+fn+"@example.com"
				claims := map[string]any{"sub": owner, "email": old, "permissions": "[crm:read orders:read]"}
				w.subst[sampleTokenID] = w.seed(t, "create-token", as(claims))["id"].(string)
				w.run(t)
				claims["email"] = "after-" + fn + "@example.com"
				r := w.call(t, w.event(t, fn, as(claims)))
				if r.Status >= 300 {
					t.Fatalf("%s with a new address: %d %s", fn, r.Status, r.Body)
				}
				if len(localstack.Inbox(t, old)) == 0 {
					t.Fatalf("the old address %s was not told", old)
				}
			})
		}
	},
	// A token written before tokens carried their owner's state is
	// changed under a check of the owner's record instead.
	"a token older than its owner's copy": func(t *testing.T, s *suite) {
		for _, fn := range []string{"update-token", "extend-token", "keep-token"} {
			t.Run(fn, func(t *testing.T) {
				t.Parallel()
				w := s.world(t, fn)
				if seed := cases[fn].seed; seed != nil {
					seed(t, w)
				}
				_, err := w.DB.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
					TableName:        &w.Tables.Tokens,
					Key:              map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "TOKEN#" + w.subst[sampleTokenID]}, "sk": &types.AttributeValueMemberS{Value: "TOKEN"}},
					UpdateExpression: aws.String("REMOVE ownerStatus, ownerScopes, ownerRev"),
				})
				if err != nil {
					t.Fatal(err)
				}
				w.run(t)
				sample := fn
				if fn == "keep-token" {
					sample = "keep-token-post"
				}
				if r := w.call(t, w.event(t, sample)); r.Status != 200 {
					t.Fatalf("%s on an old token: %d %s", fn, r.Status, r.Body)
				}
			})
		}
	},
}

// blocklisted is SES's refusal of a recipient on its block list.
var blocklisted = localstack.SESRefusal{Code: "MessageRejected", Message: "Address blacklisted."}

// onToken points a sample at another token.
func onToken(id string) edit {
	return func(ev map[string]any) {
		ev["rawPath"] = strings.Replace(ev["rawPath"].(string), sampleTokenID, id, 1)
		ev["pathParameters"] = map[string]any{"id": id}
	}
}

func ptr[T any](v T) *T { return &v }

// unreachable returns the URL of a port nothing listens on.
func unreachable(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// lifecycle runs the job for a trigger at a time and returns its report.
func (w *world) lifecycle(t *testing.T, at time.Time) map[string]any {
	t.Helper()
	inv := w.invoke(t, fmt.Appendf(nil, `{"time":%q}`, at.Format(time.RFC3339)))
	var rep map[string]any
	decode(t, invocation{out: inv}, &rep)
	return rep
}

// hasLine reports whether the invocation logged a line with key = value.
func hasLine(inv *lambdarun.Invocation, key, value string) bool {
	for _, l := range inv.Lines {
		if l.Fields != nil && l.Fields[key] == value {
			return true
		}
	}
	return false
}

func lines(inv *lambdarun.Invocation) string {
	var b strings.Builder
	for _, l := range inv.Lines {
		b.WriteString(l.Text + "\n")
	}
	return b.String()
}

// logged reports whether the world's function logged a line publishing
// a positive value of the metric (EMF).
func logged(w *world, metric string) bool {
	for _, l := range w.e.Lines() {
		data, _ := cloudwatch.EMF(l.Fields)
		for _, d := range data {
			if d.Name == metric && slices.ContainsFunc(d.Values, func(v float64) bool { return v > 0 }) {
				return true
			}
		}
	}
	return false
}
