package mail_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/testenv"
)

var ledger localstack.Ledger

func TestMain(m *testing.M) { os.Exit(ledger.Main(m)) }

// An administrator's action is told to the owner at once. When SES refuses
// the sender (the account, its identity, its configuration), the notice
// stays in the outbox, unclaimed, for the lifecycle job to send later; no
// owner is marked; the line says what is wrong and publishes
// MailSendingBlocked. Only a refusal of the recipient drops the notice,
// with MailRejected.
func TestNoticeRefusals(t *testing.T) {
	for _, c := range []struct {
		name    string
		refusal localstack.SESRefusal
		kept    bool
		metric  string
		dims    map[string]string
	}{
		{"configuration set missing", localstack.SESRefusal{Code: "ConfigurationSetDoesNotExist", Message: "Configuration set <pat-mail> does not exist."},
			true, "MailSendingBlocked", map[string]string{"Cause": "missing_configuration_set"}},
		{"account paused", localstack.SESRefusal{Code: "AccountSendingPausedException", Message: "Email sending is disabled for your entire Amazon SES account."},
			true, "MailSendingBlocked", map[string]string{"Cause": "sending_paused"}},
		{"sandbox", localstack.SESRefusal{Code: "MessageRejected", Message: "Email address is not verified. The following identities failed the check in region EU-WEST-1: OWNER"},
			true, "MailSendingBlocked", map[string]string{"Cause": "sandbox"}},
		{"recipient refused", localstack.SESRefusal{Code: "MessageRejected", Message: "Address blacklisted."},
			false, "MailRejected", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs localstack.SyncBuffer
			e := testenv.New(t, &ledger, testenv.LogsTo(&logs), testenv.Configure(func(cfg *config.Config) {
				cfg.MailFrom, cfg.ConsoleURL = "tokens@example.com", "https://console.example.com"
			}))
			ses := localstack.NewSESProxy(t)
			svc := e.NewService(t, e.Config, e.DB, ses.Client(t))
			owner := pat.Identity{UserID: "owner-" + strings.ReplaceAll(t.Name(), "/", "-"), Permissions: []string{"crm:read"}}
			owner.Email = owner.UserID + "@example.com"
			created, err := svc.CreateToken(context.Background(), owner, pat.CreateInput{Name: "ci", Scopes: []string{"crm:read"}})
			if err != nil {
				t.Fatal(err)
			}
			e.AddToken(created.Secret)
			before := ses.Requests.Load() // the creation notice
			refusal := c.refusal
			refusal.Message = strings.ReplaceAll(refusal.Message, "OWNER", owner.Email)
			ses.Refuse(refusal, -1)

			admin := pat.Identity{UserID: "admin-" + owner.UserID, Email: "admin@example.com", Admin: true}
			if err := svc.AdminRevokeToken(context.Background(), admin, created.Token.ID, "leaked"); err != nil {
				t.Fatalf("the revocation failed with the mail: %v", err)
			}
			if n := ses.Requests.Load() - before; n != 1 {
				t.Fatalf("%d sends, want 1", n)
			}
			var notices []map[string]types.AttributeValue
			for _, item := range localstack.Dump(t, e.DB, e.Tables.Tokens) {
				if pk, ok := item["pk"].(*types.AttributeValueMemberS); ok && strings.HasPrefix(pk.Value, "NOTICE#") {
					notices = append(notices, item)
				}
			}
			switch {
			case c.kept && len(notices) != 1:
				t.Fatalf("%d notices in the outbox after a refusal of the sender, want the 1 not sent", len(notices))
			case c.kept && notices[0]["claim"] != nil:
				t.Fatalf("the notice is still claimed: the job could send it only after the lease")
			case !c.kept && len(notices) != 0:
				t.Fatalf("a notice refused for its recipient is still in the outbox")
			}
			if u, err := e.Service.Store.GetUser(context.Background(), owner.UserID); err != nil || u.Unreachable != nil {
				t.Fatalf("owner after the refusal: %+v (%v)", u, err)
			}
			published := localstack.PublishedMetrics(t, localstack.LogLines(t, logs.String()))
			if sum := localstack.Sum(published, "PAT/Mail", c.metric, c.dims); sum != 1 {
				t.Errorf("PAT/Mail %s %v = %v, want 1; lines:\n%s", c.metric, c.dims, sum, logs.String())
			}
			if strings.Contains(logs.String(), owner.Email) {
				t.Errorf("a log line names the owner's address:\n%s", logs.String())
			}
		})
	}
}
