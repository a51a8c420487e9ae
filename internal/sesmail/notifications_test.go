package sesmail_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/sesmail"
	"github.com/patservice/pat/internal/testenv"
	"github.com/patservice/pat/internal/token"
)

// The mail-events function, invoked as Lambda would with the sample SNS
// event: permanent bounces and complaints mark the owner's address
// unreachable; transient bounces, mail to no owner and junk change nothing.
func TestNotificationsMarkUnreachableOwners(t *testing.T) {
	e := testenv.New(t, nil) // no token is issued
	store := e.Service.Store
	invoke := lambda.NewHandler(sesmail.NewNotifications(e.Service, e.Log).Handle)
	sample := localstack.Event[events.SNSEvent](t, "mail-events")

	cases := []struct {
		name        string
		edit        func(map[string]any)
		unreachable bool
	}{
		{"permanent bounce", func(map[string]any) {}, true},
		{"transient bounce", func(m map[string]any) { m["bounce"].(map[string]any)["bounceType"] = "Transient" }, false},
		{"complaint", func(m map[string]any) {
			delete(m, "bounce")
			m["eventType"] = "Complaint"
			m["complaint"] = map[string]any{"complainedRecipients": []any{map[string]any{"emailAddress": "ALICE@example.com"}}}
		}, true},
		{"identity notification", func(m map[string]any) { delete(m, "eventType"); m["notificationType"] = "Bounce" }, true},
		{"mail to no owner", func(m map[string]any) { delete(m["mail"].(map[string]any)["tags"].(map[string]any), "owner") }, false},
		{"another owner's address", func(m map[string]any) {
			m["bounce"].(map[string]any)["bouncedRecipients"] = []any{map[string]any{"emailAddress": "bob@example.com"}}
		}, false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			userID := "user-" + strings.ReplaceAll(c.name, " ", "-")
			if _, _, err := store.SyncUser(context.Background(), pat.User{ID: userID, Email: "alice@example.com", Permissions: []string{"crm:read"}}, nil); err != nil {
				t.Fatal(err)
			}
			var msg map[string]any
			if err := json.Unmarshal([]byte(strings.ReplaceAll(sample.Records[0].SNS.Message, "OWNER_TAG", token.OwnerTag(userID))), &msg); err != nil {
				t.Fatal(err)
			}
			c.edit(msg)
			ev := sample
			ev.Records = []events.SNSEventRecord{sample.Records[0]}
			body, _ := json.Marshal(msg)
			ev.Records[0].SNS.Message = string(body)
			ev.Records[0].SNS.MessageID += string(rune('a' + i))
			payload, _ := json.Marshal(ev)
			if _, err := invoke.Invoke(context.Background(), payload); err != nil {
				t.Fatal(err)
			}
			u, err := store.GetUser(context.Background(), userID)
			if err != nil {
				t.Fatal(err)
			}
			if (u.Unreachable != nil) != c.unreachable {
				t.Fatalf("unreachable = %v (%q), want %v", u.Unreachable, u.UnreachableCause, c.unreachable)
			}
		})
	}

	t.Run("junk is skipped", func(t *testing.T) {
		ev := sample
		ev.Records = []events.SNSEventRecord{sample.Records[0]}
		ev.Records[0].SNS.Message = "{not json"
		payload, _ := json.Marshal(ev)
		if _, err := invoke.Invoke(context.Background(), payload); err != nil {
			t.Fatalf("junk failed the invocation (SNS would retry it forever): %v", err)
		}
	})
}
