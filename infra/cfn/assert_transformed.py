"""Check what the transformed templates must contain for the stack to be run.

Usage: python3 assert_transformed.py OUT_DIR

Reads OUT_DIR/<name>.json as sam_transform.py wrote them: template.yaml.json
and the stacks it nests (the service), and one per example consumer stack in
infra/examples/. These are the properties that a working deployment depends
on and that the SAM translator, not the templates, decides: that API Gateway
may invoke the authorizer, that the alias exists and is rolled back by
alarms, and so on. A value passed to a nested stack is followed to where it
comes from (a parameter of template.yaml, a resource of another stack).
Exits non-zero naming every property that is missing.
"""

import glob
import json
import os
import sys

EXPORT = "${PatStackName}-AuthorizerArn"
ROOT = "template.yaml.json"
PACKAGED = "https://s3.amazonaws.com/bucket/"  # as sam_transform.py writes nested templates' locations
EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")


def of_type(template, type_):
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


class Service:
    """The service's templates: the root and the stacks it nests, whose
    logical ids are unique across all of them."""

    def __init__(self, templates):
        self.templates = templates  # by file name
        self.parent = {}  # nested template -> (its parent, the stack's logical id there)
        self.child = {}  # (template, stack logical id) -> nested template
        for name, t in templates.items():
            for sid, r in of_type(t, "AWS::CloudFormation::Stack").items():
                child = os.path.basename(r["Properties"]["TemplateURL"].removeprefix(PACKAGED)) + ".json"
                self.parent[child] = (name, sid)
                self.child[(name, sid)] = child
        self.owner = {}
        for name, t in templates.items():
            for rid in t["Resources"]:
                if rid in self.owner:
                    raise SystemExit(f"logical id {rid} in {self.owner[rid]} and {name}: ids must be unique across the service's templates")
                self.owner[rid] = name
        self.resources = {rid: templates[n]["Resources"][rid] for rid, n in self.owner.items()}

    def origin(self, name, value):
        """Follow a Ref to a nested stack's parameter, and a GetAtt of a
        nested stack's output, to the value it stands for: (template, value)."""
        while True:
            t = self.templates[name]
            ref = value.get("Ref") if isinstance(value, dict) and len(value) == 1 else None
            att = value.get("Fn::GetAtt") if isinstance(value, dict) and len(value) == 1 else None
            if isinstance(ref, str) and ref in t.get("Parameters", {}) and name in self.parent:
                parent, sid = self.parent[name]
                value = self.templates[parent]["Resources"][sid]["Properties"]["Parameters"][ref]
                name = parent
            elif isinstance(att, list) and (name, att[0]) in self.child and att[1].startswith("Outputs."):
                name = self.child[(name, att[0])]
                value = self.templates[name]["Outputs"][att[1].removeprefix("Outputs.")]["Value"]
            else:
                return name, value

    def is_ref(self, name, value, target):
        """Whether value, in template name, stands for Ref target (a
        parameter of template.yaml or a resource of any stack)."""
        return self.origin(name, value)[1] == {"Ref": target}


def check_service(svc, fail):
    res = svc.resources
    t = {"Resources": res}

    # The authorizer is published through the alias `live`, and the alias is
    # what is exported, stored in SSM and attached to the demo API.
    aliases = [r for r in of_type(t, "AWS::Lambda::Alias").values()
               if r["Properties"]["FunctionName"] == {"Ref": "AuthorizerFunction"}]
    if len(aliases) != 1 or aliases[0]["Properties"]["Name"] != "live":
        fail("AuthorizerFunction has no alias `live`")
        return
    alias_id = next(k for k, r in res.items() if r is aliases[0])
    alias_ref = {"Ref": alias_id}
    out = svc.templates[ROOT]["Outputs"].get("AuthorizerArn", {})
    if not svc.is_ref(ROOT, out.get("Value"), alias_id) or out.get("Export", {}).get("Name") != {"Fn::Sub": "${AWS::StackName}-AuthorizerArn"}:
        fail("output AuthorizerArn does not export the alias as <stack>-AuthorizerArn")
    if res.get("AuthorizerArnParameter", {}).get("Properties", {}).get("Value") != alias_ref:
        fail("the SSM parameter AuthorizerArnParameter does not hold the alias ARN")
    demo = [r for r in of_type(t, "AWS::Lambda::Permission").values()
            if r["Properties"]["FunctionName"] == alias_ref and "/authorizers/" in json.dumps(r["Properties"]["SourceArn"])]
    if not demo:
        fail("no Lambda::Permission lets the demo API invoke the authorizer's alias")

    # A canary deployment, rolled back by the authorizer's alarms.
    update = aliases[0].get("UpdatePolicy", {}).get("CodeDeployLambdaAliasUpdate")
    group = res.get(update["DeploymentGroupName"]["Ref"]) if update else None
    if not group:
        fail("the authorizer's alias is not updated through CodeDeploy")
    else:
        props = group["Properties"]
        alarms = {a["Name"]["Ref"] for a in props.get("AlarmConfiguration", {}).get("Alarms", [])}
        for a in ("AuthorizerErrorsAlarm", "AuthorizerDecisionErrorsAlarm", "AuthorizerLatencyAlarm"):
            if a not in alarms:
                fail(f"the authorizer's deployment is not rolled back by {a}")
        if "DEPLOYMENT_STOP_ON_ALARM" not in props.get("AutoRollbackConfiguration", {}).get("Events", []):
            fail("the authorizer's deployment does not roll back on alarm")

    # Every alarm tells the alarm topic.
    alarms = of_type(t, "AWS::CloudWatch::Alarm")
    for name in ("AuthorizerErrorsAlarm", "AuthorizerThrottlesAlarm", "AuthorizerLatencyAlarm",
                 "AuthorizerDecisionErrorsAlarm", "TokensTableThrottlesAlarm", "AuditTableThrottlesAlarm",
                 "ManagementApiErrorsAlarm", "LifecycleErrorsAlarm", "LifecycleDeadLettersAlarm", "MailRejectedAlarm",
                 "MailSendingBlockedAlarm", "MailEventsErrorsAlarm", "MailEventsDeadLettersAlarm"):
        if name not in alarms:
            fail(f"no alarm {name}")
    for name, a in alarms.items():
        actions = a["Properties"].get("AlarmActions", [])
        if len(actions) != 1 or not svc.is_ref(svc.owner[name], actions[0], "AlarmTopic"):
            fail(f"alarm {name} does not notify AlarmTopic")

    # The job runs on EventBridge Scheduler, with retries and a dead-letter queue.
    schedules = [r["Properties"] for r in of_type(t, "AWS::Scheduler::Schedule").values()
                 if r["Properties"]["Target"]["Arn"] == {"Fn::GetAtt": ["LifecycleFunction", "Arn"]}]
    if len(schedules) != 1:
        fail("the lifecycle job has no EventBridge Scheduler schedule")
    else:
        target = schedules[0]["Target"]
        if "RetryPolicy" not in target:
            fail("the lifecycle schedule has no retry policy")
        if target.get("DeadLetterConfig", {}).get("Arn") != {"Fn::GetAtt": ["LifecycleDeadLetterQueue", "Arn"]}:
            fail("the lifecycle schedule has no dead-letter queue")
    if of_type(t, "AWS::Events::Rule"):
        fail("an EventBridge rule is left: the job is scheduled by Scheduler only")

    # SES: a configuration set whose bounces, complaints and rejections reach SNS.
    if "MailConfigurationSet" not in of_type(t, "AWS::SES::ConfigurationSet"):
        fail("no SES configuration set MailConfigurationSet")
    to_sns = [r["Properties"]["EventDestination"] for r in of_type(t, "AWS::SES::ConfigurationSetEventDestination").values()
              if "SnsDestination" in r["Properties"]["EventDestination"]]
    if not to_sns or not {"bounce", "complaint", "reject"} <= set(to_sns[0]["MatchingEventTypes"]):
        fail("bounces, complaints and rejections of MailConfigurationSet do not reach an SNS topic")

    # Every function logs to a declared log group that expires, with
    # platform lines at WARN; none is traced.
    groups = of_type(t, "AWS::Logs::LogGroup")
    for name, fn in of_type(t, "AWS::Lambda::Function").items():
        logging = fn["Properties"].get("LoggingConfig", {})
        group = groups.get(logging.get("LogGroup", {}).get("Ref"))
        if group is None:
            fail(f"{name} does not log to a log group of the stack")
        elif not svc.is_ref(svc.owner[logging["LogGroup"]["Ref"]], group["Properties"].get("RetentionInDays"), "LogRetentionDays"):
            fail(f"the log group of {name} does not expire after LogRetentionDays")
        if logging.get("SystemLogLevel") != "WARN":
            fail(f"{name} logs platform lines below WARN")
        if fn["Properties"].get("TracingConfig", {}).get("Mode") == "Active":
            fail(f"{name} is traced")

    # Tables: named by CloudFormation, never deleted by it, protected.
    for name, table in of_type(t, "AWS::DynamoDB::Table").items():
        if "TableName" in table["Properties"]:
            fail(f"{name} has an explicit TableName: a retained table would block the next deploy")
        if table.get("DeletionPolicy") != "Retain" or table.get("UpdateReplacePolicy") != "Retain":
            fail(f"{name} is not retained on deletion and replacement")
        if not svc.is_ref(svc.owner[name], table["Properties"].get("DeletionProtectionEnabled"), "TableDeletionProtection"):
            fail(f"{name} has no deletion protection")


def check_example(t, fail):
    """A consumer stack must let API Gateway invoke the imported authorizer."""
    allowed = [r["Properties"] for r in of_type(t, "AWS::Lambda::Permission").values()
               if r["Properties"]["FunctionName"] == {"Fn::ImportValue": {"Fn::Sub": EXPORT}}]
    if not allowed:
        fail("no Lambda::Permission for the imported authorizer")
    for p in allowed:
        if p["Action"] != "lambda:InvokeFunction" or p["Principal"] != "apigateway.amazonaws.com" \
                or "/authorizers/" not in json.dumps(p.get("SourceArn")):
            fail("the authorizer's Lambda::Permission is not lambda:InvokeFunction by apigateway.amazonaws.com "
                 "from this API's authorizers")


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    failures = []
    examples = {os.path.basename(p) + ".json" for p in glob.glob(os.path.join(EXAMPLES, "*.yaml"))}
    templates = {}
    for path in sorted(glob.glob(os.path.join(argv[1], "*.json"))):
        with open(path, encoding="utf-8") as f:
            templates[os.path.basename(path)] = json.load(f)
    if ROOT not in templates or not examples <= templates.keys() or len(examples) < 2:
        sys.exit(f"assert_transformed: expected {ROOT}, the stacks it nests and the examples in {argv[1]}, found {sorted(templates)}")
    for name in sorted(examples):
        check_example(templates[name], lambda msg, name=name: failures.append(f"{name}: {msg}"))
        print(f"{name}: checked")
    service = Service({n: t for n, t in templates.items() if n not in examples})
    check_service(service, lambda msg: failures.append(f"service: {msg}"))
    print(f"service ({', '.join(sorted(service.templates))}): checked")
    if failures:
        sys.exit("\n".join(failures))


if __name__ == "__main__":
    main(sys.argv)
