#!/usr/bin/env bash
# Checks the CloudFormation templates as CI must: template.yaml, the stacks
# it nests (templates/) and the example consumer stacks in infra/examples/
# are linted, transformed by the SAM translator as `sam deploy` would
# (CodeUri and nested templates as `sam package` leaves them), linted again
# as plain CloudFormation, and the transformed service and examples are
# checked for what a working deployment depends on (assert_transformed.py).
# Any error or warning fails.
#
# Needs cfn-lint and the aws-sam-translator Python package, used as
# installed (this machine image has both; PyPI is not reachable from CI).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

missing=""
command -v python3 >/dev/null || missing="python3"
command -v cfn-lint >/dev/null || missing="$missing cfn-lint (pip install cfn-lint)"
python3 -c 'import samtranslator' 2>/dev/null || missing="$missing aws-sam-translator (pip install aws-sam-translator)"
if [ -n "$missing" ]; then
  echo "infra/cfn/check.sh: cannot check the templates, missing:$missing" >&2
  exit 1
fi

templates=(template.yaml templates/*.yaml infra/examples/*.yaml)
out=.aws-sam/cfn-check
rm -rf "$out"

echo "cfn-lint: ${templates[*]}"
cfn-lint -- "${templates[@]}"

# The translator needs a region, and writes plain CloudFormation.
# template.yaml brings the stacks it nests.
AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-eu-central-1} python3 infra/cfn/sam_transform.py "$out" template.yaml infra/examples/*.yaml

# W2001 (parameter not used) is ignored on the transformed output only: the
# translator substitutes some parameters itself (an API's ReauthorizeEvery,
# a DeploymentPreference's Type) with the values of the deploy, so their Ref
# is gone from its output. The lint of the sources above still reports a
# parameter that nothing uses.
echo "cfn-lint (transformed): $out/*.json"
cfn-lint --ignore-checks W2001 -- "$out"/*.json

python3 infra/cfn/assert_transformed.py "$out"
echo "templates OK"
