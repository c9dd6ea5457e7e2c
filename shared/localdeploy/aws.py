"""The Python half of localdeploy: what Go has no library for in this module.

Reads one JSON request on stdin and writes one JSON answer on stdout:
  {"op": "parse", "path": P}                   -> the SAM template at P as JSON (CloudFormation's YAML tags)
  {"op": "transform", "template": T, "parameters": {...}, "region": R}
                                               -> T through the SAM transform (aws-sam-translator)
  {"op": "calls", "endpoint": E, "region": R, "calls": [{"service", "op", "params"}]}
                                               -> {"results": [...], "error": null | {...}}: boto3 calls
                                                  to E in order, stopping at the first that fails
A parameter value {"$file": path} is that file's bytes; a streamed answer (S3's Body) comes back as
base64. A policy document that arrives as a string is decoded: JSON, or the Python literal moto's IAM
keeps inline policies as.
"""

import ast
import base64
import json
import sys


def parse(req):
    from samtranslator.yaml_helper import yaml_parse

    with open(req["path"], encoding="utf-8") as f:
        return yaml_parse(f.read())


class NoManagedPolicies:
    """A managed policy named in Policies needs IAM's list of them, which is not offline."""

    def load(self):
        raise RuntimeError("Policies names a managed policy by name; the local transform resolves none")


def transform(req):
    from samtranslator.translator.transform import transform as sam_transform

    values = dict(req.get("parameters") or {})
    values["AWS::Region"] = req["region"]
    return sam_transform(req["template"], values, NoManagedPolicies())


def load_param(value):
    if isinstance(value, dict) and set(value) == {"$file"}:
        with open(value["$file"], "rb") as f:
            return f.read()
    if isinstance(value, dict):
        return {k: load_param(v) for k, v in value.items()}
    if isinstance(value, list):
        return [load_param(v) for v in value]
    return value


DOCUMENTS = ("PolicyDocument", "AssumeRolePolicyDocument", "Policy")


def decode(value):
    if hasattr(value, "read"):
        return base64.b64encode(value.read()).decode("ascii")
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in DOCUMENTS and isinstance(v, str):
                try:
                    v = json.loads(v)
                except ValueError:
                    v = ast.literal_eval(v)
            out[k] = decode(v)
        return out
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def calls(req):
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError, ParamValidationError

    session = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name=req["region"]
    )
    config = Config(retries={"max_attempts": 1})
    clients, results = {}, []
    for call in req["calls"]:
        service = call["service"]
        if service not in clients:
            clients[service] = session.client(service, endpoint_url=req["endpoint"], config=config)
        try:
            result = getattr(clients[service], call["op"])(**load_param(call.get("params") or {}))
        except ClientError as e:
            err = e.response.get("Error", {})
            return {"results": results, "error": {"code": err.get("Code", ""), "message": err.get("Message", str(e))}}
        except ParamValidationError as e:
            return {"results": results, "error": {"code": "ParamValidation", "message": str(e)}}
        result.pop("ResponseMetadata", None)
        results.append(decode(result))
    return {"results": results, "error": None}


def main():
    req = json.load(sys.stdin)
    try:
        out = {"parse": parse, "transform": transform, "calls": calls}[req["op"]](req)
    except Exception as e:  # the transform's InvalidDocumentException lists its causes
        causes = [getattr(c, "message", str(c)) for c in getattr(e, "causes", None) or []]
        sys.stderr.write("; ".join([str(getattr(e, "message", e))] + causes) + "\n")
        sys.exit(1)
    json.dump(out, sys.stdout, default=str)


if __name__ == "__main__":
    main()
