package localdeploy

// MotoSerial is a Python program that runs moto's own server application, as moto_server does, but
// handling one request at a time; its arguments are the host and the port. moto's DynamoDB checks a
// condition and writes without a lock, so under moto_server's threads two concurrent conditional
// writes can both pass; DynamoDB settles each conditional write atomically. Serving requests one by
// one restores that guarantee while the clients stay truly concurrent.
//
// It also mends three gaps of moto's CloudFormation. A Ref of a Number parameter is text in
// CloudFormation, so a function's environment gets "5"; moto hands on the number, and its Lambda keeps
// 5, which no Lambda environment can hold: the program writes the environment's values as text. And
// two that a function with AutoPublishAlias meets: moto has
// no AWS::Lambda::Alias (so every Lambda::Permission on the alias would fail), and an
// AWS::Lambda::Version answers no Fn::GetAtt Version. The alias is made through moto's own Lambda API,
// as create-alias would make it; CodeDeploy's UpdatePolicy on it is not acted on (moto has no
// CodeDeploy in CloudFormation: the deploy test lists those types as skipped).
const MotoSerial = `import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.core.common_models import CloudFormationModel
from moto.awslambda.models import LambdaFunction, LambdaVersion, lambda_backends
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

class LambdaAliasResource(CloudFormationModel):
    __module__ = "moto.awslambda.models"  # moto's model registry files a model by its module

    def __init__(self, alias):
        self.alias = alias

    @staticmethod
    def cloudformation_type():
        return "AWS::Lambda::Alias"

    @staticmethod
    def cloudformation_name_type():
        return "Name"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        backend = lambda_backends[account_id][region_name]
        fn = backend.get_function(p["FunctionName"])
        return cls(backend.create_alias(p["Name"], fn.function_name, str(p["FunctionVersion"]),
                                        p.get("Description", ""), p.get("RoutingConfig")))

    @property
    def physical_resource_id(self):
        return self.alias.arn  # Ref of an alias is its ARN

create_function = LambdaFunction.create_from_cloudformation_json.__func__

def create_function_with_text_environment(cls, resource_name, cloudformation_json, *args, **kwargs):
    variables = cloudformation_json.get("Properties", {}).get("Environment", {}).get("Variables", {})
    for name, value in variables.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            variables[name] = str(value)
    return create_function(cls, resource_name, cloudformation_json, *args, **kwargs)

LambdaFunction.create_from_cloudformation_json = classmethod(create_function_with_text_environment)

def version_attribute(self, name):
    if name == "Version":
        return self.version
    raise UnformattedGetAttTemplateException()

LambdaVersion.get_cfn_attribute = version_attribute
LambdaVersion.has_cfn_attr = classmethod(lambda cls, name: name == "Version")

run_simple(sys.argv[1], int(sys.argv[2]), DomainDispatcherApplication(create_backend_app), threaded=False)
`
