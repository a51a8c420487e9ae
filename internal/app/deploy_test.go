package app_test

import (
	"bytes"
	"encoding/json"
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
	"github.com/patservice/pat/internal/dynamotest"
	"github.com/patservice/pat/internal/lifecycle"
)

// What keeps a deployed stack running and redeployable, read from
// template.yaml as written. infra/cfn/check.sh checks the same properties in
// the SAM translator's output (make check-template).

// node is a YAML node of template.yaml; tags (!Ref, !GetAtt) are kept.
type node struct{ *yaml.Node }

func loadTemplateNode(t *testing.T) node {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dynamotest.RepoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return node{doc.Content[0]}
}

// get follows mapping keys; a missing key gives a node whose Node is nil.
func (n node) get(keys ...string) node {
	for _, k := range keys {
		if n.Node == nil || n.Kind != yaml.MappingNode {
			return node{}
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = node{next}
	}
	return n
}

func (n node) str() string {
	if n.Node == nil {
		return ""
	}
	return n.Value
}

// is reports whether n is `!<tag> value`, e.g. is("!Ref", "AlarmTopic").
func (n node) is(tag, value string) bool {
	return n.Node != nil && n.Tag == tag && n.Value == value
}

// items returns the elements of a sequence node.
func (n node) items() []node {
	var out []node
	if n.Node != nil && n.Kind == yaml.SequenceNode {
		for _, c := range n.Content {
			out = append(out, node{c})
		}
	}
	return out
}

// resources returns the logical ids of the resources of a type, in order.
func (n node) resources(typ string) []string {
	var ids []string
	res := n.get("Resources")
	for i := 0; i+1 < len(res.Content); i += 2 {
		if (node{res.Content[i+1]}).get("Type").str() == typ {
			ids = append(ids, res.Content[i].Value)
		}
	}
	return ids
}

// The authorizer is reached through an alias whose new versions CodeDeploy
// shifts in gradually, rolled back by the authorizer's alarms; consumers
// find the alias in an export and an SSM parameter.
func TestTemplateAuthorizerAlias(t *testing.T) {
	doc := loadTemplateNode(t)
	fn := doc.get("Resources", "AuthorizerFunction", "Properties")
	if fn.get("AutoPublishAlias").str() != "live" || fn.get("AutoPublishAliasAllProperties").str() != "true" {
		t.Error("AuthorizerFunction is not published as alias live on every change, configuration included")
	}
	if !fn.get("DeploymentPreference", "Type").is("!Ref", "AuthorizerDeploymentType") ||
		doc.get("Parameters", "AuthorizerDeploymentType", "Default").str() != "Canary10Percent5Minutes" {
		t.Error("the authorizer's deployment is not a canary by default")
	}
	var rollback []string
	for _, a := range fn.get("DeploymentPreference", "Alarms").items() {
		if a.Tag == "!Ref" {
			rollback = append(rollback, a.Value)
		}
	}
	slices.Sort(rollback)
	if want := []string{"AuthorizerDecisionErrorsAlarm", "AuthorizerErrorsAlarm", "AuthorizerLatencyAlarm"}; !slices.Equal(rollback, want) {
		t.Errorf("the canary is rolled back by %v, want %v", rollback, want)
	}
	if rc := fn.get("ReservedConcurrentExecutions").items(); fn.get("ReservedConcurrentExecutions").Tag != "!If" ||
		len(rc) != 3 || rc[0].str() != "ReservesAuthorizerConcurrency" || !rc[1].is("!Ref", "AuthorizerReservedConcurrency") {
		t.Error("the authorizer's reserved concurrency is not taken from AuthorizerReservedConcurrency")
	}
	if !doc.get("Resources", "DemoApi", "Properties", "Auth", "Authorizers", "PatAuthorizer", "FunctionArn").is("!Ref", "AuthorizerFunction.Alias") {
		t.Error("the demo API does not call the authorizer through its alias")
	}
	out := doc.get("Outputs", "AuthorizerArn")
	if !out.get("Value").is("!Ref", "AuthorizerFunction.Alias") || !out.get("Export", "Name").is("!Sub", "${AWS::StackName}-AuthorizerArn") {
		t.Error("output AuthorizerArn does not export the alias as <stack>-AuthorizerArn")
	}
	if !doc.get("Resources", "AuthorizerArnParameter", "Properties", "Value").is("!Ref", "AuthorizerFunction.Alias") {
		t.Error("the SSM parameter does not hold the alias ARN")
	}
	// The example consumer stacks import that very export.
	examples, _ := filepath.Glob(filepath.Join(dynamotest.RepoRoot(t), "infra", "examples", "*.yaml"))
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
// named in docs/operations.md. The decision-error alarm watches the authorizer's own
// EMF metric, in the namespace the authorizer writes.
func TestTemplateAlarms(t *testing.T) {
	doc := loadTemplateNode(t)
	alarms := doc.resources("AWS::CloudWatch::Alarm")
	for _, want := range []string{"AuthorizerErrorsAlarm", "AuthorizerThrottlesAlarm", "AuthorizerLatencyAlarm",
		"AuthorizerDecisionErrorsAlarm", "TokensTableThrottlesAlarm", "AuditTableThrottlesAlarm",
		"ManagementApiErrorsAlarm", "LifecycleErrorsAlarm", "LifecycleDeadLettersAlarm", "MailRejectedAlarm",
		"MailSendingBlockedAlarm"} {
		if !slices.Contains(alarms, want) {
			t.Errorf("no alarm %s", want)
		}
	}
	for _, id := range alarms {
		p := doc.get("Resources", id, "Properties")
		for _, actions := range []string{"AlarmActions", "OKActions"} {
			if a := p.get(actions).items(); len(a) != 1 || !a[0].is("!Ref", "AlarmTopic") {
				t.Errorf("%s: %s is not AlarmTopic", id, actions)
			}
		}
		if p.get("TreatMissingData").str() != "notBreaching" {
			t.Errorf("%s fires on missing data: an idle stack would alarm", id)
		}
		if !p.get("AlarmName").is("!Sub", "${AWS::StackName}-"+kebab(strings.TrimSuffix(id, "Alarm"))) {
			t.Errorf("%s is not named <stack>-%s: the mail subject must say which stack", id, kebab(strings.TrimSuffix(id, "Alarm")))
		}
	}
	decisions := doc.get("Resources", "AuthorizerDecisionErrorsAlarm", "Properties")
	dims := decisions.get("Dimensions").items()
	if decisions.get("Namespace").str() != authz.MetricsNamespace || decisions.get("MetricName").str() != "Decisions" ||
		len(dims) != 1 || dims[0].get("Name").str() != "Decision" || dims[0].get("Value").str() != "error" {
		t.Errorf("AuthorizerDecisionErrorsAlarm does not watch %s Decisions{Decision=error}", authz.MetricsNamespace)
	}
	if doc.get("Conditions", "HasAlarmEmail").Node == nil || doc.get("Resources", "AlarmEmailSubscription", "Condition").str() != "HasAlarmEmail" {
		t.Error("AlarmEmail is not subscribed to the alarm topic when given")
	}
}

// Every function logs, JSON with platform lines at WARN, to a log group of
// the stack that expires after LogRetentionDays; none is traced.
func TestTemplateLogGroups(t *testing.T) {
	doc := loadTemplateNode(t)
	global := doc.get("Globals", "Function")
	if global.get("LoggingConfig", "LogFormat").str() != "JSON" || global.get("LoggingConfig", "SystemLogLevel").str() != "WARN" {
		t.Error("Globals: functions do not log JSON with platform lines at WARN")
	}
	if global.get("Tracing").Node != nil {
		t.Error("Globals: tracing is on, for functions that are not instrumented")
	}
	if doc.get("Parameters", "LogRetentionDays", "Default").str() == "" {
		t.Error("no LogRetentionDays parameter with a default")
	}
	functions := doc.resources("AWS::Serverless::Function")
	for _, id := range functions {
		p := doc.get("Resources", id, "Properties")
		group := strings.TrimSuffix(id, "Function") + "LogGroup"
		if !p.get("LoggingConfig", "LogGroup").is("!Ref", group) {
			t.Errorf("%s does not log to %s", id, group)
		}
		if p.get("Tracing").Node != nil {
			t.Errorf("%s is traced", id)
		}
		g := doc.get("Resources", group)
		if g.get("Type").str() != "AWS::Logs::LogGroup" || !g.get("Properties", "RetentionInDays").is("!Ref", "LogRetentionDays") {
			t.Errorf("%s is not a log group that expires after LogRetentionDays", group)
		}
		if g.get("DeletionPolicy").Node != nil {
			t.Errorf("%s outlives the stack: its fixed name would block a redeploy", group)
		}
	}
	// Plain Lambda functions (the console client's custom resource) too.
	plain := doc.resources("AWS::Lambda::Function")
	for _, id := range plain {
		group := strings.TrimSuffix(id, "Function") + "LogGroup"
		if !doc.get("Resources", id, "Properties", "LoggingConfig", "LogGroup").is("!Ref", group) {
			t.Errorf("%s does not log to %s", id, group)
		}
	}
	if groups := doc.resources("AWS::Logs::LogGroup"); len(groups) != len(functions)+len(plain) {
		t.Errorf("%d log groups for %d functions", len(groups), len(functions)+len(plain))
	}
}

// The job runs on EventBridge Scheduler with retries; what Scheduler cannot
// deliver, and runs that fail after Lambda's retries, land in a queue that
// is alarmed.
func TestTemplateLifecycleSchedule(t *testing.T) {
	doc := loadTemplateNode(t)
	p := doc.get("Resources", "LifecycleFunction", "Properties")
	events := p.get("Events")
	if len(events.Content) != 2 {
		t.Fatalf("the lifecycle job has %d events, want one schedule", len(events.Content)/2)
	}
	ev := node{events.Content[1]}
	if ev.get("Type").str() != "ScheduleV2" {
		t.Fatalf("the lifecycle job is scheduled by %s, want ScheduleV2 (EventBridge Scheduler)", ev.get("Type").str())
	}
	sp := ev.get("Properties")
	if !sp.get("ScheduleExpression").is("!Ref", "LifecycleSchedule") {
		t.Error("the schedule is not LifecycleSchedule")
	}
	if sp.get("RetryPolicy", "MaximumRetryAttempts").str() == "" {
		t.Error("the schedule has no retry policy")
	}
	if !sp.get("Name").is("!Sub", "${AWS::StackName}-lifecycle") {
		t.Error("the schedule's name is not per stack: two stacks in one account would collide")
	}
	dlq := "LifecycleDeadLetterQueue.Arn"
	if !sp.get("DeadLetterConfig", "Arn").is("!GetAtt", dlq) {
		t.Error("undelivered schedules do not go to LifecycleDeadLetterQueue")
	}
	if !p.get("EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination").is("!GetAtt", dlq) {
		t.Error("failed runs do not go to LifecycleDeadLetterQueue")
	}
	// What Scheduler sends, with the scheduled time filled in, is the
	// sample event, and the job reads that time from it.
	input := strings.Replace(sp.get("Input").str(), "<aws.scheduler.scheduled-time>", "2027-05-20T06:00:00Z", 1)
	var trigger lifecycle.Trigger
	dec := json.NewDecoder(strings.NewReader(input))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&trigger); err != nil || !trigger.Time.Equal(time.Date(2027, 5, 20, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("the job does not read the scheduled time from the schedule's input %q: %v", sp.get("Input").str(), err)
	}
	sample, err := os.ReadFile(filepath.Join(dynamotest.RepoRoot(t), "events", "lifecycle.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(t, sample, []byte(input)) {
		t.Errorf("events/lifecycle.json is not what the schedule sends: %s", input)
	}
	dims := doc.get("Resources", "LifecycleDeadLettersAlarm", "Properties", "Dimensions").items()
	if len(dims) != 1 || !dims[0].get("Value").is("!GetAtt", "LifecycleDeadLetterQueue.QueueName") {
		t.Error("LifecycleDeadLettersAlarm does not watch LifecycleDeadLetterQueue")
	}
}

// A failed first deploy or a deleted stack can be deployed again (no fixed
// table names), while CloudFormation never deletes a table and nobody can
// without first turning deletion protection off.
func TestTemplateTablesRedeployable(t *testing.T) {
	doc := loadTemplateNode(t)
	tables := doc.resources("AWS::DynamoDB::Table")
	if len(tables) != 2 {
		t.Fatalf("tables %v, want the tokens and audit tables", tables)
	}
	for _, id := range tables {
		r := doc.get("Resources", id)
		if r.get("Properties", "TableName").Node != nil {
			t.Errorf("%s has a fixed TableName: a retained table would block the next deploy", id)
		}
		if r.get("DeletionPolicy").str() != "Retain" || r.get("UpdateReplacePolicy").str() != "Retain" {
			t.Errorf("%s may be deleted by CloudFormation", id)
		}
		if !r.get("Properties", "DeletionProtectionEnabled").is("!Ref", "TableDeletionProtection") {
			t.Errorf("%s: deletion protection is not TableDeletionProtection", id)
		}
	}
	if doc.get("Parameters", "TableDeletionProtection", "Default").str() != "true" {
		t.Error("deletion protection is not on by default")
	}
	for _, env := range []string{"TABLE_NAME", "AUDIT_TABLE_NAME", "MAIL_CONFIGURATION_SET", "ADMIN_NOTIFY_EMAIL"} {
		if doc.get("Globals", "Function", "Environment", "Variables", env).Node == nil {
			t.Errorf("the functions are not given %s", env)
		}
	}
}

// `sam build` runs the Makefile's build-<LogicalId> target of every function
// in the template, and every function directory is deployed. The targets
// must not depend on GNU sed's \U, which macOS lacks.
func TestMakefileBuildsEveryFunction(t *testing.T) {
	root := dynamotest.RepoRoot(t)
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(makefile, []byte(`\U`)) {
		t.Error("the Makefile uses \\U, which only GNU sed knows")
	}
	doc := loadTemplateNode(t)
	var targets []string
	for _, id := range doc.resources("AWS::Serverless::Function") {
		p := doc.get("Resources", id)
		if p.get("Metadata", "BuildMethod").str() != "makefile" || p.get("Properties", "CodeUri").str() != "." {
			t.Errorf("%s is not built by the Makefile", id)
		}
		targets = append(targets, "build-"+id)
	}
	dirs, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if id := camel(d.Name()) + "Function"; !slices.Contains(targets, "build-"+id) {
			t.Errorf("functions/%s is not deployed: template.yaml has no %s", d.Name(), id)
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

// kebab turns AuthorizerDecisionErrors into authorizer-decision-errors.
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// The docs (README.md and docs/) name every parameter a deployer is asked
// for.
func TestDocsExplainEveryParameter(t *testing.T) {
	root := dynamotest.RepoRoot(t)
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	var docs []byte
	for _, page := range append(pages, filepath.Join(root, "README.md")) {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, data...)
	}
	params := loadTemplateNode(t).get("Parameters")
	for i := 0; i+1 < len(params.Content); i += 2 {
		if name := params.Content[i].Value; !bytes.Contains(docs, []byte("`"+name+"`")) {
			t.Errorf("neither README.md nor docs/ explains the parameter %s", name)
		}
	}
}

// samconfig.toml deploys dev and prod stacks to a named region, and
// overrides only parameters the template has: no placeholder values that
// would deploy a broken stack.
func TestSamconfigEnvironments(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(dynamotest.RepoRoot(t), "samconfig.toml"))
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
	if n := len(regexp.MustCompile(`(?m)^region = "[a-z]+-[a-z]+-\d"$`).FindAllString(conf, -1)); n != 2 {
		t.Errorf("samconfig.toml names a region %d times, want once per environment", n)
	}
	if strings.Contains(conf, "example.com") {
		t.Error("samconfig.toml carries example.com placeholders")
	}
	params := loadTemplateNode(t).get("Parameters")
	// Only parameter_overrides name parameters (tags name the stack's tags).
	overrides := strings.Join(regexp.MustCompile(`(?m)^parameter_overrides = .*$`).FindAllString(conf, -1), "\n")
	for _, m := range regexp.MustCompile(`(\w+)=\\"`).FindAllStringSubmatch(overrides, -1) {
		if params.get(m[1]).Node == nil {
			t.Errorf("samconfig.toml sets %s, which template.yaml does not have", m[1])
		}
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}
