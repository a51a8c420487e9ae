#!/usr/bin/env bash
# Publishes the release (VERSION) to the AWS Serverless Application
# Repository: `make publish REGION=<region> BUCKET=<artefact bucket>`.
# SAR accepts a nested application only as one it already holds, so each
# stack in templates/ is packaged and published first, as pat-<concern>;
# then template.yaml, its nested Locations rewritten to those applications
# (infra/sar: release.PublishableRoot), is packaged and published.
# Needs the SAM CLI and the AWS CLI (not on the development machine: this
# script does not run in make test; internal/release tests its rewrite).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
: "${REGION:?REGION=<region>}" "${BUCKET:?BUCKET=<artefact bucket>}"
version=$(cat VERSION)
out=.aws-sam/sar
rm -rf "$out" && mkdir -p "$out"

sam build
ids=()
while read -r id template name; do
  sam package --template-file "$template" --s3-bucket "$BUCKET" --region "$REGION" --output-template-file "$out/$id.yaml" </dev/null
  sam publish --template "$out/$id.yaml" --region "$REGION" </dev/null
  arn=$(aws serverlessrepo list-applications --region "$REGION" --output text \
    --query "Applications[?Name=='$name'].ApplicationId | [0]" </dev/null)
  [[ $arn == arn:* ]] || { echo "publish.sh: $name is not in the Serverless Application Repository" >&2; exit 1; }
  ids+=("$id=$arn")
done < <(go run ./infra/sar nested .aws-sam/build/template.yaml)

# Beside the built root, so that its relative paths still resolve.
go run ./infra/sar root .aws-sam/build/template.yaml "$version" "${ids[@]}" > .aws-sam/build/publishable.yaml
sam package --template-file .aws-sam/build/publishable.yaml --s3-bucket "$BUCKET" --region "$REGION" --output-template-file "$out/template.yaml"
sam publish --template "$out/template.yaml" --region "$REGION"
echo "published personal-access-tokens $version and its ${#ids[@]} nested applications in $REGION"
