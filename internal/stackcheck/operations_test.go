package stackcheck_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/patservice/pat/internal/lambdarun/cloudwatch"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/samstack"
)

// What an operator of a deployed stack relies on: a dashboard that shows
// every alarm's metric and every dead-letter queue, a runbook per alarm,
// throttled and logged APIs, and settings refused before they break a
// deploy. (That each widget's metric is one the code or AWS publishes is
// shown by the runs of internal/lambdarun, which trace it.)

// widgets returns the dashboard's widgets, failing unless there is one.
func widgets(t *testing.T, s *samstack.Stack) []cloudwatch.Widget {
	t.Helper()
	ws, err := cloudwatch.Dashboards(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) == 0 {
		t.Fatal("the stack has no CloudWatch dashboard")
	}
	return ws
}

// drawn reports whether a widget draws m: same namespace, name and
// dimensions as resolved.
func drawn(ws []cloudwatch.Widget, m cloudwatch.Metric) (string, bool) {
	for _, w := range ws {
		for _, wm := range w.Metrics {
			if !wm.Search && wm.Namespace == m.Namespace && wm.Name == m.Name && maps.Equal(wm.Dimensions, m.Dimensions) {
				return w.Title, true
			}
		}
	}
	return "", false
}

// The dashboard draws every metric of every alarm, every dead-letter
// queue's depth and every index's consumed capacity, and its URL is an
// output.
func TestDashboardCoversAlarmsAndQueues(t *testing.T) {
	for name, params := range map[string]map[string]string{"the stack's pool": nil, "an existing issuer": existingIssuer} {
		t.Run(name, func(t *testing.T) {
			s := load(t, params)
			ws := widgets(t, s)
			alarms, err := cloudwatch.Alarms(s)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range alarms {
				for _, m := range a.Metrics {
					if _, ok := drawn(ws, m); !ok {
						t.Errorf("alarm %s: no dashboard widget draws %s", a.LogicalID, m)
					}
				}
			}
			for _, st := range s.Stacks() {
				for id, r := range st.Resources {
					if !st.Has(id) {
						continue
					}
					switch r.Type {
					case "AWS::SQS::Queue":
						name := resolve(t, st, map[string]any{"Fn::GetAtt": []any{id, "QueueName"}}).(string)
						depth := cloudwatch.Metric{Namespace: "AWS/SQS", Name: "ApproximateNumberOfMessagesVisible", Dimensions: map[string]string{"QueueName": name}}
						if _, ok := drawn(ws, depth); !ok {
							t.Errorf("no dashboard widget draws the depth of the queue %s", id)
						}
						if !slices.ContainsFunc(alarms, func(a cloudwatch.Alarm) bool {
							return slices.ContainsFunc(a.Metrics, func(m cloudwatch.Metric) bool {
								return m.Name == depth.Name && maps.Equal(m.Dimensions, depth.Dimensions)
							})
						}) {
							t.Errorf("no alarm watches the depth of the queue %s", id)
						}
					case "AWS::DynamoDB::Table":
						table := resolve(t, st, ref(id)).(string)
						for _, ix := range indexes(r) {
							for _, metric := range []string{"ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits", "ReadThrottleEvents", "WriteThrottleEvents"} {
								m := cloudwatch.Metric{Namespace: "AWS/DynamoDB", Name: metric, Dimensions: map[string]string{"TableName": table, "GlobalSecondaryIndexName": ix}}
								if _, ok := drawn(ws, m); !ok {
									t.Errorf("no dashboard widget draws %s of index %s of %s", metric, ix, id)
								}
							}
						}
					}
				}
			}
			url := fmt.Sprint(resolve(t, s, s.Outputs["DashboardUrl"].Value))
			if !strings.Contains(url, "cloudwatch/home?region=us-east-1#dashboards:name=") {
				t.Errorf("output DashboardUrl is %q, not the dashboard's console URL", url)
			}
		})
	}
}

func indexes(r samstack.Resource) []string {
	var out []string
	gsis, _ := r.Properties["GlobalSecondaryIndexes"].([]any)
	for _, g := range gsis {
		if name, ok := get(g, "IndexName").(string); ok {
			out = append(out, name)
		}
	}
	return out
}

// Every index of every table is watched for read and write throttling:
// CloudWatch files an index's throttles under its own dimension, which the
// table's alarms do not see.
func TestIndexThrottleAlarms(t *testing.T) {
	s := load(t, nil)
	alarms, err := cloudwatch.Alarms(s)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, st := range s.Stacks() {
		for id, r := range st.Resources {
			if r.Type != "AWS::DynamoDB::Table" {
				continue
			}
			table := resolve(t, st, ref(id)).(string)
			for _, ix := range indexes(r) {
				n++
				for _, metric := range []string{"ReadThrottleEvents", "WriteThrottleEvents"} {
					want := map[string]string{"TableName": table, "GlobalSecondaryIndexName": ix}
					if !slices.ContainsFunc(alarms, func(a cloudwatch.Alarm) bool {
						return slices.ContainsFunc(a.Metrics, func(m cloudwatch.Metric) bool {
							return m.Namespace == "AWS/DynamoDB" && m.Name == metric && maps.Equal(m.Dimensions, want)
						})
					}) {
						t.Errorf("no alarm watches %s of index %s of %s", metric, ix, id)
					}
				}
			}
		}
	}
	if n < 5 {
		t.Errorf("%d indexes found, want at least tokens byOwner, byDue and audit byOwner, byActor, byMonth", n)
	}
}

// runbooks reads the "### " sections of docs/operations.md.
func runbooks(t *testing.T) []cloudwatch.Runbook {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(localstack.RepoRoot(t), "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	return cloudwatch.Runbooks(string(data))
}

var (
	runbookWidget = regexp.MustCompile(`widget "([^"]+)"`)
	queryField    = regexp.MustCompile(`\b(msg|time|lvl)\b\s*(=|like|!=)`)
)

// Every alarm has a runbook: what it means, the dashboard widget to look
// at first, a Logs Insights query on a log group of the stack that reads
// the fields the functions write (message and level, as Lambda's JSON
// format names them; slog's msg does not exist there), and how to fix or
// roll back.
func TestRunbookPerAlarm(t *testing.T) {
	for name, params := range map[string]map[string]string{"the stack's pool": nil, "demo API access logs": {"DemoApiAccessLog": "true"}} {
		t.Run(name, func(t *testing.T) {
			s := load(t, params)
			ws := widgets(t, s)
			titles := map[string]bool{}
			for _, w := range ws {
				titles[w.Title] = true
			}
			groups := map[string]bool{}
			accessLogs := map[string]map[string]any{} // log group → a line with the access log's fields
			for _, st := range s.Stacks() {
				for id, r := range st.Resources {
					if r.Type == "AWS::Logs::LogGroup" && st.Has(id) {
						groups[fmt.Sprint(resolve(t, st, r.Properties["LogGroupName"]))] = true
					}
					if r.Type == "AWS::ApiGatewayV2::Stage" {
						var line map[string]any
						format, _ := resolve(t, st, get(r.Properties, "AccessLogSettings", "Format")).(string)
						_, group := st.Origin(get(r.Properties, "AccessLogSettings", "DestinationArn"))
						ga, _ := get(group, "Fn::GetAtt").([]any)
						if json.Unmarshal([]byte(format), &line) == nil && len(ga) == 2 {
							accessLogs[fmt.Sprint(resolve(t, st, st.Resources[fmt.Sprint(ga[0])].Properties["LogGroupName"]))] = line
						}
					}
				}
			}
			books := runbooks(t)
			alarms, err := cloudwatch.Alarms(s)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range alarms {
				name := kebab(strings.TrimSuffix(a.LogicalID, "Alarm"))
				i := slices.IndexFunc(books, func(b cloudwatch.Runbook) bool { return strings.Contains(b.Heading, "`"+name+"`") })
				if i < 0 {
					t.Errorf("alarm %s (%s) has no runbook: a \"### `%s`\" section in docs/operations.md", a.LogicalID, name, name)
					continue
				}
				b := books[i]
				ws := runbookWidget.FindAllStringSubmatch(b.Body, -1)
				if len(ws) == 0 {
					t.Errorf("runbook %s names no dashboard widget (widget \"<title>\")", name)
				}
				for _, w := range ws {
					if !titles[w[1]] {
						t.Errorf("runbook %s names the widget %q, which the dashboard does not have", name, w[1])
					}
				}
				for _, m := range a.Metrics {
					if title, ok := drawn(widgets(t, s), m); ok && !slices.ContainsFunc(ws, func(w []string) bool { return w[1] == title }) {
						t.Errorf("runbook %s does not name the widget %q, which draws its alarm's %s", name, title, m)
					}
				}
				if b.Query == "" {
					t.Errorf("runbook %s has no Logs Insights query (Logs Insights query on `<log group>`, then a code block)", name)
				}
				for _, g := range b.LogGroups {
					g = strings.ReplaceAll(g, "<stack>", "pat")
					if !groups[g] {
						t.Errorf("runbook %s queries %s, not a log group of the stack", name, g)
					}
					// An access log's fields are its format's; the functions'
					// lines are checked against what the runs of
					// internal/lambdarun wrote.
					if line, ok := accessLogs[g]; ok {
						if err := cloudwatch.CheckQuery(b.Query, []map[string]any{line}); err != nil {
							t.Errorf("runbook %s: its query does not read the access log of %s: %v", name, g, err)
						}
					}
				}
				if bad := queryField.FindString(b.Query); bad != "" {
					t.Errorf("runbook %s: its query compares %q, a field the Lambda JSON log format does not have (message, level, timestamp)", name, bad)
				}
				if !strings.Contains(b.Body, "**Fix or roll back:**") {
					t.Errorf("runbook %s does not say how to fix or roll back (**Fix or roll back:**)", name)
				}
			}
		})
	}
}

// contextVar is a $context variable of an access log format.
var contextVar = regexp.MustCompile(`\$context\.[A-Za-z0-9_.]+`)

// checkAccessLog checks an access log format: one JSON object of strings
// with the request id, route, status, latencies and caller id, and no
// variable that could carry a token, a JWT or a header.
func checkAccessLog(t *testing.T, st *samstack.Stack, stage string, dest any, format string, caller string) {
	t.Helper()
	var fields map[string]string
	if err := json.Unmarshal([]byte(format), &fields); err != nil {
		t.Errorf("%s: the access log format is not a JSON object of strings: %v", stage, err)
		return
	}
	for _, k := range []string{"requestId", "routeKey", "status", "responseLatency", "integrationLatency", "caller"} {
		if fields[k] == "" {
			t.Errorf("%s: the access log has no %s", stage, k)
		}
	}
	if fields["caller"] != caller {
		t.Errorf("%s: the access log's caller is %q, want %q", stage, fields["caller"], caller)
	}
	for _, v := range contextVar.FindAllString(format, -1) {
		lower := strings.ToLower(v)
		if strings.Contains(lower, "header") || strings.Contains(lower, "querystring") || strings.Contains(lower, "jwt") ||
			strings.HasPrefix(v, "$context.authorizer.claims.") && v != "$context.authorizer.claims.sub" ||
			strings.Contains(lower, "token") && v != "$context.authorizer.tokenId" {
			t.Errorf("%s: the access log writes %s, which may carry a token, a JWT or a header", stage, v)
		}
	}
	if strings.Contains(format, "$input") || strings.Contains(format, "$request") {
		t.Errorf("%s: the access log writes the request itself", stage)
	}
	arn, _ := get(dest, "Fn::GetAtt").([]any)
	if len(arn) != 2 || st.Resources[fmt.Sprint(arn[0])].Type != "AWS::Logs::LogGroup" {
		t.Errorf("%s: the access log does not go to a log group of the stack: %v", stage, dest)
	}
}

// Every API stage is throttled (the public routes of the management API
// harder than the signed-in ones) and writes a JSON access log with the
// caller's id and nothing secret into a log group that expires like the
// others (TestTemplateLogGroups).
func TestApiStagesThrottledAndLogged(t *testing.T) {
	s := load(t, map[string]string{"DemoApiAccessLog": "true"})
	public := []string{}
	for route, r := range managementRoutes(t, s) {
		if r.public {
			public = append(public, route)
		}
	}
	slices.Sort(public)
	if want := []string{"GET /", "GET /console", "GET /console/{proxy+}", "GET /keep", "GET /problems/{code}", "POST /keep", "POST /leaks/github", "POST /tokens/self/rotate"}; !slices.Equal(public, want) {
		t.Errorf("public routes %v, want %v: the throttling below is written for those", public, want)
	}
	number := func(st *samstack.Stack, v any) float64 {
		f, err := strconv.ParseFloat(fmt.Sprint(resolve(t, st, v)), 64)
		if err != nil || f <= 0 {
			t.Errorf("throttling limit %v: %v", v, err)
		}
		return f
	}
	stages := 0
	for _, st := range s.Stacks() {
		for id, r := range st.Resources {
			switch r.Type {
			case "AWS::ApiGatewayV2::Stage":
				stages++
				rate, burst := number(st, get(r.Properties, "DefaultRouteSettings", "ThrottlingRateLimit")), number(st, get(r.Properties, "DefaultRouteSettings", "ThrottlingBurstLimit"))
				for _, route := range public {
					pr, pb := number(st, get(r.Properties, "RouteSettings", route, "ThrottlingRateLimit")), number(st, get(r.Properties, "RouteSettings", route, "ThrottlingBurstLimit"))
					if pr >= rate || pb >= burst {
						t.Errorf("%s: the public route %s is limited to %v/s (burst %v), not less than the signed-in routes' %v/s (burst %v)", id, route, pr, pb, rate, burst)
					}
				}
				format, _ := resolve(t, st, get(r.Properties, "AccessLogSettings", "Format")).(string)
				checkAccessLog(t, st, id, get(r.Properties, "AccessLogSettings", "DestinationArn"), format, "$context.authorizer.claims.sub")
			case "AWS::ApiGateway::Stage":
				stages++
				settings, _ := r.Properties["MethodSettings"].([]any)
				if len(settings) == 0 || get(settings[0], "ResourcePath") != "/*" || get(settings[0], "HttpMethod") != "*" {
					t.Errorf("%s: no method settings for every method (/*, *)", id)
				} else {
					number(st, get(settings[0], "ThrottlingRateLimit"))
					number(st, get(settings[0], "ThrottlingBurstLimit"))
				}
				p := resolve(t, st, r.Properties).(map[string]any)
				format, _ := get(p, "AccessLogSetting", "Format").(string)
				dest := get(r.Properties, "AccessLogSetting", "Fn::If")
				branches, _ := dest.([]any)
				if len(branches) != 3 {
					t.Errorf("%s: the access log is not switched by DemoApiAccessLog", id)
					continue
				}
				checkAccessLog(t, st, id, get(branches[1], "DestinationArn"), format, "$context.authorizer.principalId")
			}
		}
	}
	if stages != 2 {
		t.Errorf("%d API stages, want the management API's and the demo API's", stages)
	}
	// Without DemoApiAccessLog (the default) the demo API writes none: a
	// REST API's access log needs the account's API Gateway log role.
	off := load(t, nil)
	st, demo := resource(t, off, "DemoApidemoStage")
	if get(resolve(t, st, demo.Properties), "AccessLogSetting") != nil || off.Parameters["DemoApiAccessLog"].Default != "false" {
		t.Error("the demo API writes access logs by default: the deploy fails on an account without API Gateway's log role")
	}
}

// templateParameters reads template.yaml's parameters as written.
func templateParameters(t *testing.T) map[string]struct {
	Type           string `yaml:"Type"`
	Description    string `yaml:"Description"`
	MaxLength      int    `yaml:"MaxLength"`
	AllowedPattern string `yaml:"AllowedPattern"`
	AllowedValues  []any  `yaml:"AllowedValues"`
} {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(localstack.RepoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Parameters map[string]struct {
			Type           string `yaml:"Type"`
			Description    string `yaml:"Description"`
			MaxLength      int    `yaml:"MaxLength"`
			AllowedPattern string `yaml:"AllowedPattern"`
			AllowedValues  []any  `yaml:"AllowedValues"`
		} `yaml:"Parameters"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Parameters
}

// lambdaEnvLimit is Lambda's limit on a function's environment, counted
// here as its variables serialized as a JSON object (keys, values, quotes
// and separators): a little more than the keys and values alone.
const lambdaEnvLimit = 4096

// GroupPermissions is copied into the environment of most functions,
// whose total Lambda limits to 4 KB: its MaxLength refuses, at deploy
// time, a value that would fail the deploy of those functions, with every
// other free-text setting at freeText characters and every resource name
// at the longest CloudFormation generates for it.
func TestEnvironmentFitsLambdaLimit(t *testing.T) {
	const freeText = 64 // characters of each other free-text setting (an address, a URL, a claim's name)
	params := templateParameters(t)
	maxLen := params["GroupPermissions"].MaxLength
	if maxLen == 0 {
		t.Fatal("GroupPermissions has no MaxLength")
	}
	values := map[string]string{}
	for name, p := range params {
		if p.Type == "String" && p.AllowedValues == nil && p.MaxLength == 0 {
			values[name] = strings.Repeat("x", freeText)
		}
	}
	values["GroupPermissions"] = strings.Repeat("g", maxLen)
	values["CreateUserPool"] = "false" // an issuer's URLs instead of the pool's: the longer environment
	localstack.RequireSAMTranslator(t)
	tmpl, err := samstack.Transform(localstack.RepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	// CloudFormation names a nested stack's resource
	// <root stack>-<nested id>-<13>-<logical id>-<13>, at most 128 + ~50.
	long := strings.Repeat("n", 180)
	worst, err := samstack.Parse(tmpl, samstack.Local{
		StackName: strings.Repeat("s", 128),
		Params:    values,
		Names:     map[string]string{"TokensTable": long, "AuditTable": long, "MailConfigurationSet": long, "CursorKeySecret": "cursor-key"},
		Secrets:   map[string]string{"cursor-key": strings.Repeat("k", 64)},
	})
	if err != nil {
		t.Fatal(err)
	}
	fns, err := worst.Functions()
	if err != nil {
		t.Fatal(err)
	}
	largest, carries := 0, 0
	for _, f := range fns {
		env, err := json.Marshal(f.Env)
		if err != nil {
			t.Fatal(err)
		}
		size := len(env)
		if strings.Contains(strings.Join(slices.Collect(maps.Values(f.Env)), ""), values["GroupPermissions"]) {
			carries++
		}
		largest = max(largest, size)
		if size > lambdaEnvLimit {
			t.Errorf("%s: environment of %d bytes with GroupPermissions at its MaxLength %d, over Lambda's %d", f.LogicalID, size, maxLen, lambdaEnvLimit)
		}
	}
	if carries == 0 {
		t.Fatal("no function's environment carries GroupPermissions: the check checks nothing")
	}
	t.Logf("largest environment: %d of %d bytes, GroupPermissions at %d characters", largest, lambdaEnvLimit, maxLen)
	if !strings.Contains(params["GroupPermissions"].Description, strconv.Itoa(maxLen)) {
		t.Errorf("GroupPermissions' description does not say its limit of %d characters", maxLen)
	}
}

// A new UserPoolDomainPrefix after the first deploy replaces the domain,
// and CloudFormation creates the new one before deleting the old, which
// Cognito refuses (one domain per pool). No rule can see the old value,
// so the parameter says so and the deploy guide has the steps.
func TestUserPoolDomainPrefixChangeDocumented(t *testing.T) {
	desc := templateParameters(t)["UserPoolDomainPrefix"].Description
	for _, want := range []string{"after the first deploy", "docs/deploy.md"} {
		if !strings.Contains(desc, want) {
			t.Errorf("UserPoolDomainPrefix's description does not say %q", want)
		}
	}
	data, err := os.ReadFile(filepath.Join(localstack.RepoRoot(t), "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	guide := string(data)
	for _, want := range []string{"## Changing `UserPoolDomainPrefix`", "aws cognito-idp delete-user-pool-domain"} {
		if !strings.Contains(guide, want) {
			t.Errorf("docs/deploy.md does not have %q", want)
		}
	}
}
