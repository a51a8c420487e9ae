package lifecycle_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patservice/pat/internal/i18n"
	"github.com/patservice/pat/internal/lifecycle"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/sesmail"
)

// The job's reminders and deletion notices are in the owner's language:
// their choice, else the deployment's default (DEFAULT_LANGUAGE), dates
// as that language writes them.
func TestRemindersInTheOwnersLanguage(t *testing.T) {
	for _, c := range []struct {
		name, choice                      string
		reminder, deleted, body, lastUsed string
	}{
		{"a German owner", "de", "wird am " + i18n.Date(i18n.DE, t0.Add(180*day)) + " gelöscht", "wurde nach 180 Tagen ohne Verwendung gelöscht", "mit einem Klick behalten", "Zuletzt verwendet: nie"},
		{"no choice: the default", "", "wordt op " + i18n.Date(i18n.NL, t0.Add(180*day)) + " verwijderd", "is verwijderd na 180 dagen zonder gebruik", "met één klik behouden", "Laatst gebruikt: nooit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			cfg := jobConfig(e)
			cfg.Language = i18n.NL
			j := lifecycle.New(storeOf(e), sesmail.New(e.Mail, e.cfg.MailFrom, ""), e.Service.Service, e.Service.Format().NewID, cfg, e.Log)
			e.create(t, "ci deploy", pat.CreateInput{ExpiresInDays: ptr(365)})
			if c.choice != "" {
				if _, err := e.Service.UpdateMe(context.Background(), e.user, c.choice); err != nil {
					t.Fatal(err)
				}
			}
			e.run(t, j, t0.Add(166*day+time.Hour))
			e.run(t, j, t0.Add(177*day+time.Hour))
			e.run(t, j, t0.Add(180*day+time.Hour))
			mails := e.inbox(t)
			if len(mails) != 3 || !strings.Contains(mails[0].Subject, c.reminder) || !strings.Contains(mails[0].Body.Text, c.body) || !strings.Contains(mails[0].Body.Text, c.lastUsed) {
				t.Fatalf("reminder, want %q: %s\n%v", c.reminder, subjects(mails), mails)
			}
			if last := mails[len(mails)-1]; !strings.Contains(last.Subject, c.deleted) {
				t.Fatalf("deletion notice, want %q: %s", c.deleted, subjects(mails))
			}
		})
	}
}
