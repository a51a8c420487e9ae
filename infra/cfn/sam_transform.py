"""Transform SAM templates into plain CloudFormation, as `sam deploy` would.

Usage: python3 sam_transform.py OUT_DIR TEMPLATE...

Writes OUT_DIR/<template file name>.json for each template and for each
template it nests (and OUT_DIR/source/<name>.json, the template as written) (an AWS::Serverless::Application whose Location is a local
file, followed from the nesting template's directory). Local paths are
replaced with what `sam package` would write, because the translator refuses
them: a function's CodeUri with s3://bucket/<logical id>.zip, a nested
application's Location with PACKAGED + the path as written (internal/samstack
maps it back). Uses the aws-sam-translator package as installed (PyPI is not
reachable from CI); see infra/cfn/check.sh.
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


# Where `sam package` would have uploaded a nested template.
PACKAGED = "https://s3.amazonaws.com/bucket/"


def packaged(template, path, nested):
    """Return template (read from path) with every function's CodeUri and
    nested application's Location as sam package leaves them; nested
    collects the local Locations. A function's code is uploaded as
    <logical id>.zip when its CodeUri is the directory the templates are
    transformed from (the repository's root, where the Makefile is), else
    under its directory's path."""
    resources = template.get("Resources", {})
    fn_globals = template.get("Globals", {}).get("Function", {})
    for logical_id, resource in resources.items():
        props = resource.setdefault("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function":
            code = props.get("CodeUri", fn_globals.get("CodeUri"))
            if "InlineCode" not in props and isinstance(code, str) and "://" not in code:
                where = os.path.normpath(os.path.join(os.path.dirname(path), code))
                key = f"{logical_id}.zip" if where == "." else f"{where}/{logical_id}.zip"
                props["CodeUri"] = f"s3://bucket/{key}"
        if resource.get("Type") == "AWS::Serverless::Application":
            location = props.get("Location")
            if isinstance(location, str) and "://" not in location:
                nested.append((location, props.get("Parameters", {})))
                props["Location"] = PACKAGED + location
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
    # (path, parameter values): a nested template is transformed with the
    # values its parent passes from its own parameters (their defaults), as
    # CloudFormation gives them to the transform of a nested stack.
    todo, written = [(p, {}) for p in argv[2:]], {}
    while todo:
        path, values = todo.pop(0)
        path = os.path.normpath(path)
        name = os.path.basename(path) + ".json"
        if written.get(name) == path:
            continue
        if name in written:
            sys.exit(f"{path} and {written[name]}: two templates of one name")
        written[name] = path
        with open(path, encoding="utf-8") as f:
            template = yaml_parse(f.read())
        # The template as written (intrinsics in their long form), for the
        # checks of what the transform does not carry over (internal/samstack).
        os.makedirs(os.path.join(out_dir, "source"), exist_ok=True)
        with open(os.path.join(out_dir, "source", name), "w", encoding="utf-8") as f:
            json.dump(template, f, indent=1, sort_keys=True)
        known = {k: str(p["Default"]) for k, p in template.get("Parameters", {}).items() if "Default" in p}
        known.update(values)
        nested = []
        try:
            output = transform(packaged(template, path, nested), values, NoManagedPolicies())
        except Exception as e:  # the translator's errors name the resource and property
            sys.exit(f"{path}: SAM transform failed: {e}")
        for location, passed in nested:
            child = {k: known[v["Ref"]] for k, v in passed.items() if isinstance(v, dict) and v.get("Ref") in known}
            todo.append((os.path.join(os.path.dirname(path), location), child))
        out = os.path.join(out_dir, name)
        with open(out, "w", encoding="utf-8") as f:
            json.dump(output, f, indent=1, sort_keys=True)
        print(f"{path}: transformed to {out}")


if __name__ == "__main__":
    main(sys.argv)
