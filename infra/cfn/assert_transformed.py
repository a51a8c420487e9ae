"""Check what the transformed templates must contain for the stack to be run.

Usage: python3 assert_transformed.py OUT_DIR

Reads OUT_DIR/<name>.json as sam_transform.py wrote them: template.yaml.json
(the service) and one per example consumer stack in infra/examples/. These are
the properties that a working deployment depends on and that the SAM
translator, not template.yaml, decides: that API Gateway may invoke the
authorizer, that the alias exists and is rolled back by alarms, and so on.
Exits non-zero naming every property that is missing.
"""

import glob
import json
import os
import sys

EXPORT = "${PatStackName}-AuthorizerArn"


def of_type(template, type_):
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


def check_service(t, fail):
    res = t["Resources"]

    # The authorizer is published through the alias `live`, and the alias is
    # what is exported, stored in SSM and attached to the demo API.
    aliases = [r for r in of_type(t, "AWS::Lambda::Alias").values()
               if r["Properties"]["FunctionName"] == {"Ref": "AuthorizerFunction"}]
    if len(aliases) != 1 or aliases[0]["Properties"]["Name"] != "live":
        fail("AuthorizerFunction has no alias `live`")
        return
    alias_id = next(k for k, r in res.items() if r is aliases[0])
    alias_ref = {"Ref": alias_id}
    out = t["Outputs"].get("AuthorizerArn", {})
    if out.get("Value") != alias_ref or out.get("Export", {}).get("Name") != {"Fn::Sub": "${AWS::StackName}-AuthorizerArn"}:
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
                 "MailSendingBlockedAlarm"):
        if name not in alarms:
            fail(f"no alarm {name}")
    for name, a in alarms.items():
        if a["Properties"].get("AlarmActions") != [{"Ref": "AlarmTopic"}]:
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
        elif group["Properties"].get("RetentionInDays") != {"Ref": "LogRetentionDays"}:
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
        if table["Properties"].get("DeletionProtectionEnabled") != {"Ref": "TableDeletionProtection"}:
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
    paths = sorted(glob.glob(os.path.join(argv[1], "*.json")))
    names = [os.path.basename(p) for p in paths]
    if "template.yaml.json" not in names or len(names) < 3:
        sys.exit(f"assert_transformed: expected template.yaml.json and the examples in {argv[1]}, found {names}")
    for path, name in zip(paths, names):
        with open(path, encoding="utf-8") as f:
            template = json.load(f)
        check = check_service if name == "template.yaml.json" else check_example
        check(template, lambda msg, name=name: failures.append(f"{name}: {msg}"))
        print(f"{name}: checked")
    if failures:
        sys.exit("\n".join(failures))


if __name__ == "__main__":
    main(sys.argv)
