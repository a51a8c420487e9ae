// Package stackcheck checks the stack as deployed (template.yaml and the
// stacks it nests, read through internal/samstack) against what it must
// hold: the routes the code serves, least-privilege policies, the
// authorizer's alias and canary, alarms, log groups, the lifecycle
// schedule, retained tables, the sign-in resources CreateUserPool asks
// for, a dashboard that draws every alarm's metric, queue and index, a
// runbook per alarm in docs/operations.md, throttled API stages with
// access logs that hold no secret, environments within Lambda's 4 KB; and
// against what builds and deploys it: the Makefile's
// build-<LogicalId> targets, samconfig.toml and the parameters README.md
// documents. Its tests are all there is: the package has no code.
package stackcheck
