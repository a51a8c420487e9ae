"""Transform SAM templates into plain CloudFormation, as `sam deploy` would.

Usage: python3 sam_transform.py OUT_DIR TEMPLATE...

Writes OUT_DIR/<template file name>.json for each template. CodeUri values
are replaced with s3://bucket/key, what `sam package` would write, because
the translator refuses local paths. Uses the aws-sam-translator package as
installed (PyPI is not reachable from CI); see infra/cfn/check.sh.
"""

import json
import logging
import os
import sys

try:
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse
except ImportError:
    sys.exit("infra/cfn: the aws-sam-translator Python package is not installed "
             "(pip install aws-sam-translator); it is needed to check the SAM templates")


class NoManagedPolicies:
    """The translator asks IAM for managed policy ARNs only when a template
    names a managed policy by its short name; ours name none, so nothing is
    looked up and no AWS credentials are needed."""

    def load(self):
        return {}


def packaged(template):
    """Return template with every function's CodeUri as sam package leaves it."""
    resources = template.get("Resources", {})
    for logical_id, resource in resources.items():
        if resource.get("Type") == "AWS::Serverless::Function":
            props = resource.setdefault("Properties", {})
            if "InlineCode" not in props:
                props["CodeUri"] = f"s3://bucket/{logical_id}.zip"
    fn_globals = template.get("Globals", {}).get("Function", {})
    if "CodeUri" in fn_globals:
        fn_globals["CodeUri"] = "s3://bucket/code.zip"
    return template


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
    # The translator logs that its feature toggles have no configuration and
    # that its usage metrics were not published (both exist only inside AWS);
    # neither is a finding about the template.
    logging.getLogger("samtranslator.feature_toggle").setLevel(logging.ERROR)
    logging.getLogger("samtranslator.metrics").setLevel(logging.ERROR)
    out_dir = argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            template = yaml_parse(f.read())
        try:
            output = transform(packaged(template), {}, NoManagedPolicies())
        except Exception as e:  # the translator's errors name the resource and property
            sys.exit(f"{path}: SAM transform failed: {e}")
        out = os.path.join(out_dir, os.path.basename(path) + ".json")
        with open(out, "w", encoding="utf-8") as f:
            json.dump(output, f, indent=1, sort_keys=True)
        print(f"{path}: transformed to {out}")


if __name__ == "__main__":
    main(sys.argv)
