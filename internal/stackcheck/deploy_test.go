package stackcheck_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/lifecycle"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/samstack"
)

// What keeps a deployed stack running and redeployable, read from the
// stack as deployed. infra/cfn/check.sh checks some of the same in the
// SAM translator's output (make check-template).

// The authorizer is reached through an alias whose new versions CodeDeploy
// shifts in gradually, rolled back by the authorizer's alarms; consumers
// find the alias in an export and an SSM parameter.
func TestTemplateAuthorizerAlias(t *testing.T) {
	s := load(t, nil)
	st, _ := resource(t, s, "AuthorizerFunction")
	src := get(source(st, "AuthorizerFunction"), "Properties")
	if get(src, "AutoPublishAlias") != "live" || get(src, "AutoPublishAliasAllProperties") != true {
		t.Error("AuthorizerFunction is not published as alias live on every change, configuration included")
	}
	if !is(st, get(src, "DeploymentPreference", "Type"), ref("AuthorizerDeploymentType")) ||
		s.Parameters["AuthorizerDeploymentType"].Default != "Canary10Percent5Minutes" {
		t.Error("the authorizer's deployment is not a canary by default")
	}
	var rollback []string
	alarms, _ := get(src, "DeploymentPreference", "Alarms").([]any)
	for _, a := range alarms {
		if r, ok := get(a, "Ref").(string); ok {
			rollback = append(rollback, r)
		}
	}
	slices.Sort(rollback)
	if want := []string{"AuthorizerDecisionErrorsAlarm", "AuthorizerErrorsAlarm", "AuthorizerLatencyAlarm"}; !slices.Equal(rollback, want) {
		t.Errorf("the canary is rolled back by %v, want %v", rollback, want)
	}
	// Unreserved by default; AuthorizerReservedConcurrency reserves.
	for value, want := range map[string]any{"0": nil, "25": "25"} {
		reserved := load(t, map[string]string{"AuthorizerReservedConcurrency": value})
		rst, fn := resource(t, reserved, "AuthorizerFunction")
		if got := get(resolve(t, rst, fn.Properties), "ReservedConcurrentExecutions"); fmt.Sprint(got) != fmt.Sprint(want) && !(want == nil && got == nil) {
			t.Errorf("AuthorizerReservedConcurrency=%s: reserved concurrency %v, want %v", value, got, want)
		}
	}

	var alias string
	for id, r := range st.Resources {
		if r.Type == "AWS::Lambda::Alias" && is(st, r.Properties["FunctionName"], ref("AuthorizerFunction")) && r.Properties["Name"] == "live" {
			alias = id
		}
	}
	if alias == "" {
		t.Fatal("no alias live of AuthorizerFunction")
	}
	demo := source(st, "DemoApi")
	if !is(st, get(demo, "Properties", "Auth", "Authorizers", "PatAuthorizer", "FunctionArn"), ref("AuthorizerFunction.Alias")) {
		t.Error("the demo API does not call the authorizer through its alias")
	}
	out := s.Outputs["AuthorizerArn"]
	export, _ := json.Marshal(get(s.Source, "Outputs", "AuthorizerArn", "Export", "Name"))
	if !is(s, out.Value, ref(alias)) || string(export) != `{"Fn::Sub":"${AWS::StackName}-AuthorizerArn"}` {
		t.Errorf("output AuthorizerArn does not export the alias as <stack>-AuthorizerArn: %v, %s", out.Value, export)
	}
	pst, param := resource(t, s, "AuthorizerArnParameter")
	if !is(pst, param.Properties["Value"], ref(alias)) {
		t.Error("the SSM parameter does not hold the alias ARN")
	}
	if name := resolve(t, pst, param.Properties["Name"]); name != "/pat/authorizer-arn" {
		t.Errorf("the SSM parameter is %v, want /<stack>/authorizer-arn", name)
	}
	// The example consumer stacks import that very export.
	examples, _ := filepath.Glob(filepath.Join(localstack.RepoRoot(t), "infra", "examples", "*.yaml"))
	if len(examples) < 2 {
		t.Fatalf("want the REST and HTTP API examples in infra/examples, found %v", examples)
	}
	for _, path := range examples {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte(`Fn::Sub: "${PatStackName}-AuthorizerArn"`)) {
			t.Errorf("%s does not import <PatStackName>-AuthorizerArn", filepath.Base(path))
		}
	}
}

// Every alarm tells the operators, and the alarms cover every failure mode
// named in the README. The decision-error alarm watches the authorizer's own
// EMF metric, in the namespace the authorizer writes.
func TestTemplateAlarms(t *testing.T) {
	s := load(t, map[string]string{"AlarmEmail": "ops@example.com"})
	var alarms []string
	for _, st := range s.Stacks() {
		for id, r := range st.Resources {
			if r.Type != "AWS::CloudWatch::Alarm" {
				continue
			}
			alarms = append(alarms, id)
			for _, actions := range []string{"AlarmActions", "OKActions"} {
				if a, _ := r.Properties[actions].([]any); len(a) != 1 || !is(st, a[0], ref("AlarmTopic")) {
					t.Errorf("%s: %s is not AlarmTopic", id, actions)
				}
			}
			if r.Properties["TreatMissingData"] != "notBreaching" {
				t.Errorf("%s fires on missing data: an idle stack would alarm", id)
			}
			if want := "pat-" + kebab(strings.TrimSuffix(id, "Alarm")); resolve(t, st, r.Properties["AlarmName"]) != want {
				t.Errorf("%s is not named %s (<stack>-...): the mail subject must say which stack", id, want)
			}
		}
	}
	for _, want := range []string{"AuthorizerErrorsAlarm", "AuthorizerThrottlesAlarm", "AuthorizerLatencyAlarm",
		"AuthorizerDecisionErrorsAlarm", "TokensTableThrottlesAlarm", "AuditTableThrottlesAlarm",
		"ManagementApiErrorsAlarm", "LifecycleErrorsAlarm", "LifecycleDeadLettersAlarm", "MailRejectedAlarm",
		"MailSendingBlockedAlarm", "MailEventsErrorsAlarm", "MailEventsDeadLettersAlarm",
		"TokensIndexThrottlesAlarm", "AuditIndexThrottlesAlarm"} {
		if !slices.Contains(alarms, want) {
			t.Errorf("no alarm %s", want)
		}
	}
	st, decisions := resource(t, s, "AuthorizerDecisionErrorsAlarm")
	p := resolve(t, st, decisions.Properties)
	if get(p, "Namespace") != authz.MetricsNamespace || get(p, "MetricName") != "Decisions" ||
		fmt.Sprint(get(p, "Dimensions")) != "[map[Name:Decision Value:error]]" {
		t.Errorf("AuthorizerDecisionErrorsAlarm does not watch %s Decisions{Decision=error}", authz.MetricsNamespace)
	}
	sub, subscription := resource(t, s, "AlarmEmailSubscription")
	if subscription.Condition == "" || !sub.Has("AlarmEmailSubscription") || load(t, nil).Stacks()[0] == nil {
		t.Error("AlarmEmail is not subscribed to the alarm topic when given")
	}
	if noMail, _ := load(t, nil).Find("AlarmEmailSubscription"); noMail.Has("AlarmEmailSubscription") {
		t.Error("the alarm topic is subscribed without an AlarmEmail")
	}
}

// Every function logs, JSON with platform lines at WARN, to a log group of
// its stack named /aws/lambda/<stack>/<function directory> that expires
// after LogRetentionDays; none is traced.
func TestTemplateLogGroups(t *testing.T) {
	s := load(t, nil)
	fns, err := s.Functions()
	if err != nil {
		t.Fatal(err)
	}
	groups, plain := 0, 0
	for _, st := range s.Stacks() {
		for id, r := range st.Resources {
			switch {
			case r.Type == "AWS::Logs::LogGroup":
				if name := fmt.Sprint(resolve(t, st, r.Properties["LogGroupName"])); strings.HasPrefix(name, "/aws/lambda/") {
					groups++
				}
				if !is(st, r.Properties["RetentionInDays"], ref("LogRetentionDays")) {
					t.Errorf("%s does not expire after LogRetentionDays", id)
				}
				if r.DeletionPolicy != "" {
					t.Errorf("%s outlives the stack: its fixed name would block a redeploy", id)
				}
			case r.Type == "AWS::Lambda::Function":
				plain++
				group := strings.TrimSuffix(id, "Function") + "LogGroup"
				if lg := get(r.Properties, "LoggingConfig", "LogGroup"); !is(st, lg, ref(group)) {
					t.Errorf("%s does not log to %s", id, group)
				}
				if get(r.Properties, "TracingConfig", "Mode") == "Active" {
					t.Errorf("%s is traced", id)
				}
			}
		}
	}
	for _, f := range fns {
		if f.LogFormat != "JSON" || f.SystemLogLevel != "WARN" {
			t.Errorf("%s: log format %q, platform lines at %q, want JSON and WARN", f.LogicalID, f.LogFormat, f.SystemLogLevel)
		}
		if want := "/aws/lambda/pat/" + f.Dir; f.LogGroup != want {
			t.Errorf("%s logs to %q, want %s", f.LogicalID, f.LogGroup, want)
		}
	}
	if groups != plain {
		t.Errorf("%d log groups for %d functions", groups, plain)
	}
	if s.Parameters["LogRetentionDays"].Default == nil {
		t.Error("no LogRetentionDays parameter with a default")
	}
}

// The job runs on EventBridge Scheduler with retries; what Scheduler cannot
// deliver, and runs that fail after Lambda's retries, land in a queue that
// is alarmed.
func TestTemplateLifecycleSchedule(t *testing.T) {
	s := load(t, nil)
	st, _ := resource(t, s, "LifecycleFunction")
	var schedules []map[string]any
	for _, r := range st.Resources {
		if r.Type == "AWS::Scheduler::Schedule" && is(st, get(r.Properties, "Target", "Arn"), map[string]any{"Fn::GetAtt": []any{"LifecycleFunction", "Arn"}}) {
			schedules = append(schedules, r.Properties)
		}
	}
	if len(schedules) != 1 {
		t.Fatalf("the lifecycle job has %d EventBridge Scheduler schedules, want one", len(schedules))
	}
	sp := schedules[0]
	if !is(st, sp["ScheduleExpression"], ref("LifecycleSchedule")) {
		t.Error("the schedule is not LifecycleSchedule")
	}
	if get(sp, "Target", "RetryPolicy", "MaximumRetryAttempts") == nil {
		t.Error("the schedule has no retry policy")
	}
	if resolve(t, st, sp["Name"]) != "pat-lifecycle" {
		t.Error("the schedule's name is not per stack: two stacks in one account would collide")
	}
	dlq := map[string]any{"Fn::GetAtt": []any{"LifecycleDeadLetterQueue", "Arn"}}
	if !is(st, get(sp, "Target", "DeadLetterConfig", "Arn"), dlq) {
		t.Error("undelivered schedules do not go to LifecycleDeadLetterQueue")
	}
	onFailure := false
	for _, r := range st.Resources {
		if r.Type == "AWS::Lambda::EventInvokeConfig" && is(st, get(r.Properties, "DestinationConfig", "OnFailure", "Destination"), dlq) {
			onFailure = true
		}
	}
	if !onFailure {
		t.Error("failed runs do not go to LifecycleDeadLetterQueue")
	}
	// What Scheduler sends, with the scheduled time filled in, is the
	// sample event, and the job reads that time from it.
	raw, _ := get(sp, "Target", "Input").(string)
	input := strings.Replace(raw, "<aws.scheduler.scheduled-time>", "2027-05-20T06:00:00Z", 1)
	var trigger lifecycle.Trigger
	dec := json.NewDecoder(strings.NewReader(input))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&trigger); err != nil || !trigger.Time.Equal(time.Date(2027, 5, 20, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("the job does not read the scheduled time from the schedule's input %q: %v", raw, err)
	}
	sample, err := os.ReadFile(filepath.Join(localstack.RepoRoot(t), "events", "lifecycle.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(t, sample, []byte(input)) {
		t.Errorf("events/lifecycle.json is not what the schedule sends: %s", input)
	}
	for alarm, queue := range map[string]string{"LifecycleDeadLettersAlarm": "LifecycleDeadLetterQueue", "MailEventsDeadLettersAlarm": "MailEventsDeadLetterQueue"} {
		ast, a := resource(t, s, alarm)
		dims, _ := a.Properties["Dimensions"].([]any)
		if len(dims) != 1 || !is(ast, get(dims[0], "Value"), map[string]any{"Fn::GetAtt": []any{queue, "QueueName"}}) {
			t.Errorf("%s does not watch %s", alarm, queue)
		}
	}
}

// A failed first deploy or a deleted stack can be deployed again (no fixed
// table names), while CloudFormation never deletes a table and nobody can
// without first turning deletion protection off.
func TestTemplateTablesRedeployable(t *testing.T) {
	s := load(t, nil)
	var tables []string
	for _, st := range s.Stacks() {
		for id, r := range st.Resources {
			if r.Type != "AWS::DynamoDB::Table" {
				continue
			}
			tables = append(tables, id)
			if _, ok := r.Properties["TableName"]; ok {
				t.Errorf("%s has a fixed TableName: a retained table would block the next deploy", id)
			}
			if r.DeletionPolicy != "Retain" || r.UpdateReplacePolicy != "Retain" {
				t.Errorf("%s may be deleted by CloudFormation", id)
			}
			if !is(st, r.Properties["DeletionProtectionEnabled"], ref("TableDeletionProtection")) {
				t.Errorf("%s: deletion protection is not TableDeletionProtection", id)
			}
		}
	}
	slices.Sort(tables)
	if !slices.Equal(tables, []string{"AuditTable", "TokensTable"}) {
		t.Fatalf("tables %v, want the tokens and audit tables", tables)
	}
	if s.Parameters["TableDeletionProtection"].Default != "true" {
		t.Error("deletion protection is not on by default")
	}
}

// `sam build` runs the Makefile's build-<LogicalId> target of every function
// in the templates (their code is the repository's root, where the Makefile
// is), and every function directory is deployed. The targets must not
// depend on GNU sed's \U, which macOS lacks.
func TestMakefileBuildsEveryFunction(t *testing.T) {
	root := localstack.RepoRoot(t)
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(makefile, []byte(`\U`)) {
		t.Error("the Makefile uses \\U, which only GNU sed knows")
	}
	s := load(t, nil)
	var targets []string
	for _, st := range s.Stacks() {
		for id, r := range st.Resources {
			if r.Type != "AWS::Lambda::Function" || get(r.Properties, "Code", "ZipFile") != nil {
				continue
			}
			if r.Metadata["BuildMethod"] != "makefile" || get(r.Properties, "Code", "S3Key") != id+".zip" {
				t.Errorf("%s (%s) is not built by the Makefile at the repository's root (BuildMethod: makefile, CodeUri: the root)", id, st.File)
			}
			targets = append(targets, "build-"+id)
		}
	}
	dirs, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if id := samstack.LogicalID(d.Name()); !slices.Contains(targets, "build-"+id) {
			t.Errorf("functions/%s is not deployed: no template has %s", d.Name(), id)
		}
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	// -n: print what would run, build nothing.
	cmd := exec.Command("make", append([]string{"-n", "ARTIFACTS_DIR=/nonexistent"}, targets...)...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make has no target for every function: %v\n%s", err, out)
	}
	for _, d := range dirs {
		if !bytes.Contains(out, []byte("./functions/"+d.Name()+"\n")) {
			t.Errorf("no build target compiles functions/%s", d.Name())
		}
	}
}

// The deploy guide names every parameter a deployer is asked for.
func TestDocsExplainEveryParameter(t *testing.T) {
	root := localstack.RepoRoot(t)
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	var text []byte
	for _, p := range append([]string{filepath.Join(root, "README.md")}, docs...) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		text = append(text, b...)
	}
	for name := range load(t, nil).Parameters {
		if !bytes.Contains(text, []byte("`"+name+"`")) {
			t.Errorf("neither README.md nor docs/ explains the parameter %s", name)
		}
	}
}

// samconfig.toml deploys dev and prod stacks to the region the deployer
// chooses, fails an empty change set alike in both, and overrides only
// parameters the template has: no placeholder values that would deploy a
// broken stack.
func TestSamconfigEnvironments(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(localstack.RepoRoot(t), "samconfig.toml"))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(data)
	for _, env := range []string{"dev", "prod"} {
		for _, section := range []string{"global", "deploy"} {
			if !strings.Contains(conf, "["+env+"."+section+".parameters]") {
				t.Errorf("samconfig.toml has no [%s.%s.parameters]", env, section)
			}
		}
	}
	// The deployer chooses the region (their profile, --region, or what
	// sam deploy --guided asks and saves).
	if regexp.MustCompile(`(?m)^region\s*=`).MatchString(conf) {
		t.Error("samconfig.toml pins a region: the deployer's profile or --region chooses it")
	}
	// A deploy that changes nothing fails, or passes, alike everywhere.
	empty := regexp.MustCompile(`(?m)^fail_on_empty_changeset = (\w+)$`).FindAllStringSubmatch(conf, -1)
	if len(empty) != 2 || empty[0][1] != empty[1][1] {
		t.Errorf("samconfig.toml: fail_on_empty_changeset %v, want it set alike in both environments", empty)
	}
	if strings.Contains(conf, "example.com") {
		t.Error("samconfig.toml carries example.com placeholders")
	}
	// CloudFormation refuses a stack whose templates create roles, or nest
	// stacks and transforms, without the capabilities that say so.
	root, err := os.ReadFile(filepath.Join(localstack.RepoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CAPABILITY_IAM"}
	if strings.Contains(string(root), "AWS::Serverless::Application") {
		want = append(want, "CAPABILITY_AUTO_EXPAND")
	}
	caps := regexp.MustCompile(`(?m)^capabilities = "([^"]*)"$`).FindAllStringSubmatch(conf, -1)
	if len(caps) != 2 {
		t.Errorf("samconfig.toml names capabilities %d times, want once per environment", len(caps))
	}
	for _, c := range caps {
		for _, w := range want {
			if !slices.Contains(strings.Fields(c[1]), w) {
				t.Errorf("samconfig.toml: capabilities %q lack %s, which the templates need", c[1], w)
			}
		}
	}
	params := load(t, nil).Parameters
	// Only parameter_overrides name parameters (tags name the stack's tags).
	overrides := strings.Join(regexp.MustCompile(`(?m)^parameter_overrides = .*$`).FindAllString(conf, -1), "\n")
	for _, m := range regexp.MustCompile(`(\w+)=\\"`).FindAllStringSubmatch(overrides, -1) {
		if _, ok := params[m[1]]; !ok {
			t.Errorf("samconfig.toml sets %s, which template.yaml does not have", m[1])
		}
	}
}

// Parameters that only some values make work are refused at deploy time
// by their AllowedPattern: ConsoleBaseUrl must end in /console, where the
// console and its sign-in live.
func TestConsoleBaseUrlPattern(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(localstack.RepoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Parameters map[string]struct {
			AllowedPattern string `yaml:"AllowedPattern"`
		} `yaml:"Parameters"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	re, err := regexp.Compile(doc.Parameters["ConsoleBaseUrl"].AllowedPattern)
	if err != nil {
		t.Fatalf("ConsoleBaseUrl's AllowedPattern: %v", err)
	}
	for url, ok := range map[string]bool{
		"": true, "https://tokens.example.com/console": true, "https://abc.execute-api.eu-central-1.amazonaws.com/console": true,
		"https://tokens.example.com": false, "https://tokens.example.com/console/": false, "http://tokens.example.com/console": false,
		"https://tokens.example.com/tokens": false, "https:///console": false,
	} {
		if re.MatchString(url) != ok {
			t.Errorf("ConsoleBaseUrl %q: accepted %v, want %v", url, !ok, ok)
		}
	}
}
