package lifecycle_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/patservice/pat/internal/dynamotest"
	"github.com/patservice/pat/internal/pat"
)

// The mail alarms fire on what the code writes as Lambda writes it. Every
// mail failure an operator is alarmed about happens here, through the
// functions' own logger (text under "message"): a reminder refused for its
// recipient, a reminder not sent to an address known to be unreachable, an
// administrator's notice refused for its recipient, and the sender refused
// altogether. Each alarm on a PAT/Mail metric in template.yaml must then
// see a value: one an EMF line publishes with the alarm's namespace, name
// and dimensions, or one a metric filter of the template counts because its
// pattern matches a line.
func TestMailAlarmsSeeWhatTheFunctionsLog(t *testing.T) {
	e := newEnv(t)
	ses := dynamotest.NewSESProxy(t)
	j := e.job(t, ses.Client(t), nil)
	e.create(t, "refused", pat.CreateInput{ExpiresInDays: ptr(365)})
	ses.RefuseRecipient(e.user.Email, addressBlocked)
	e.run(t, j, t0.Add(166*day+time.Hour)) // refused: the owner is marked
	e.run(t, j, t0.Add(177*day+time.Hour)) // the next reminder is not sent

	svc := e.NewService(t, e.Config, e.DB, ses.Client(t)) // the management functions' notices
	admin := pat.Identity{UserID: "admin-" + e.user.UserID, Email: "admin@example.com", Admin: true}
	revoke := func(owner pat.Identity) {
		c, err := svc.CreateToken(context.Background(), owner, pat.CreateInput{Name: "revoked", Scopes: []string{"crm:read"}})
		if err != nil {
			t.Fatal(err)
		}
		e.AddToken(c.Secret)
		if err := svc.AdminRevokeToken(context.Background(), admin, c.Token.ID, "leaked"); err != nil {
			t.Fatal(err)
		}
	}
	other := pat.Identity{UserID: e.user.UserID + "-b", Email: "b-" + e.user.Email, Permissions: e.user.Permissions}
	ses.RefuseRecipient(other.Email, addressBlocked)
	revoke(other)
	ses.Refuse(dynamotest.SESRefusal{Code: "AccountSendingPausedException", Message: "Email sending is disabled for your entire Amazon SES account."}, -1)
	revoke(pat.Identity{UserID: e.user.UserID + "-c", Email: "c-" + e.user.Email, Permissions: e.user.Permissions})

	lines := dynamotest.LogLines(t, e.logs.String())
	published := dynamotest.PublishedMetrics(t, lines)
	tpl := loadTemplate(t)
	watched := 0
	for id, alarm := range tpl.alarms(t) {
		for _, m := range alarm {
			if m.Namespace != "PAT/Mail" {
				continue
			}
			watched++
			sum := dynamotest.Sum(published, m.Namespace, m.MetricName, m.dims())
			if sum == 0 && !tpl.filterCounts(t, m, lines) {
				t.Errorf("%s watches %s %s (dimensions %v), but no line the functions write publishes it; their lines say:\n%s",
					id, m.Namespace, m.MetricName, m.dims(), strings.Join(dynamotest.Messages(lines), "\n"))
			}
		}
	}
	if watched < 2 {
		t.Fatalf("%d alarms watch PAT/Mail metrics: want the refused-mail and blocked-sending alarms", watched)
	}
}

// template is the part of template.yaml about alarms and metric filters.
type template struct {
	Resources map[string]struct {
		Type       string    `yaml:"Type"`
		Properties yaml.Node `yaml:"Properties"`
	} `yaml:"Resources"`
	Mappings map[string]map[string]map[string]string `yaml:"Mappings"`
}

// alarmMetric is a metric an alarm watches.
type alarmMetric struct {
	Namespace  string `yaml:"Namespace"`
	MetricName string `yaml:"MetricName"`
	Dimensions []struct {
		Name  string `yaml:"Name"`
		Value string `yaml:"Value"`
	} `yaml:"Dimensions"`
}

func (m alarmMetric) dims() map[string]string {
	d := map[string]string{}
	for _, x := range m.Dimensions {
		d[x.Name] = x.Value
	}
	return d
}

func loadTemplate(t *testing.T) template {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dynamotest.RepoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl template
	if err := yaml.Unmarshal(data, &tpl); err != nil {
		t.Fatal(err)
	}
	return tpl
}

// alarms lists each alarm's metrics: its own, or those of its metric math.
func (tpl template) alarms(t *testing.T) map[string][]alarmMetric {
	t.Helper()
	out := map[string][]alarmMetric{}
	for _, id := range slices.Sorted(maps.Keys(tpl.Resources)) {
		r := tpl.Resources[id]
		if r.Type != "AWS::CloudWatch::Alarm" {
			continue
		}
		var p struct {
			alarmMetric `yaml:",inline"`
			Metrics     []struct {
				MetricStat *struct {
					Metric alarmMetric `yaml:"Metric"`
				} `yaml:"MetricStat"`
			} `yaml:"Metrics"`
		}
		if err := r.Properties.Decode(&p); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if p.Namespace != "" {
			out[id] = append(out[id], p.alarmMetric)
		}
		for _, m := range p.Metrics {
			if m.MetricStat != nil {
				out[id] = append(out[id], m.MetricStat.Metric)
			}
		}
	}
	return out
}

// transformation is the metric a metric filter publishes.
type transformation struct {
	MetricNamespace string `yaml:"MetricNamespace"`
	MetricName      string `yaml:"MetricName"`
}

// filterTerm is the only filter pattern term read here: $.field = "text".
var filterTerm = regexp.MustCompile(`^\$\.(\w+) = "([^"]*)"$`)

// filterCounts says whether a metric filter of the template publishes m
// from one of lines. Its pattern must be a disjunction of
// $.field = "text" terms, as CloudWatch Logs evaluates it on a JSON line.
func (tpl template) filterCounts(t *testing.T, m alarmMetric, lines []map[string]any) bool {
	t.Helper()
	for id, r := range tpl.Resources {
		if r.Type != "AWS::Logs::MetricFilter" {
			continue
		}
		var p struct {
			FilterPattern         yaml.Node        `yaml:"FilterPattern"`
			MetricTransformations []transformation `yaml:"MetricTransformations"`
		}
		if err := r.Properties.Decode(&p); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if !slices.Contains(p.MetricTransformations, transformation{m.Namespace, m.MetricName}) {
			continue
		}
		pattern := p.FilterPattern.Value
		if p.FilterPattern.Tag == "!FindInMap" && len(p.FilterPattern.Content) == 3 {
			c := p.FilterPattern.Content
			pattern = tpl.Mappings[c[0].Value][c[1].Value][c[2].Value]
		}
		body, ok := strings.CutPrefix(strings.TrimSpace(pattern), "{")
		body, ok2 := strings.CutSuffix(body, "}")
		if !ok || !ok2 {
			t.Fatalf("%s: pattern %q is not a JSON filter pattern", id, pattern)
		}
		for term := range strings.SplitSeq(body, "||") {
			match := filterTerm.FindStringSubmatch(strings.TrimSpace(term))
			if match == nil {
				t.Fatalf("%s: term %q of its pattern is not understood here", id, term)
			}
			for _, line := range lines {
				if v, ok := line[match[1]].(string); ok && v == match[2] {
					return true
				}
			}
		}
	}
	return false
}
