"""The translated CloudFormation deployed into moto's server: functions, layers, schedules, routes.

What moto's CloudFormation cannot model, and how it is covered instead:
- a RestApi's `Body` (SAM writes the routes as an OpenAPI body): the stack is created without the
  Deployment and Stage that need it, then the body is imported with `put_rest_api`, as API Gateway does;
- a Function's `Layers` and `Architectures` and `AWS::Lambda::EventInvokeConfig`: moto ignores them, so the
  layers are checked as created LayerVersions and the rest on the translated template (test_template.py);
- `AWS::Lambda::Alias` (what `provisioned_concurrency` needs): moto fails on a stack that routes events to
  one, so this deployment is of the collection without provisioned concurrency; the alias is checked on
  the translated template (test_template.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from local_runner.manifest import load_manifest
from local_runner.package import package_environ
from tests.integration.packaging.conftest import CODE_BUCKET, REGION, ROOT, with_s3_code

MANIFEST = load_manifest(ROOT / "chalice.json", "prod", environ=package_environ())
PREFIX = "aisha-prod-"
NOT_MODELLED = ("AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage")
# moto says so for each EventInvokeConfig it skips; the module's docstring says where those are checked
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS..Lambda..EventInvokeConfig:UserWarning")


@pytest.fixture(scope="module")
def aws(monkeypatch_module: pytest.MonkeyPatch) -> Iterator[Any]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for key, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"),
                       ("AWS_DEFAULT_REGION", REGION)):
        monkeypatch_module.setenv(key, value)

    def client(name: str) -> Any:
        return boto3.client(name, endpoint_url=f"http://{host}:{port}", region_name=REGION)

    yield client
    server.stop()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def deployable(sam: dict[str, Any], translate: Any) -> dict[str, Any]:
    """The translated template without provisioned concurrency (no alias): what moto can deploy."""
    template = json.loads(json.dumps(sam))
    for res in template["Resources"].values():
        if res["Type"] == "AWS::Serverless::Function":
            for key in ("AutoPublishAlias", "ProvisionedConcurrencyConfig"):
                res["Properties"].pop(key, None)
    translated: dict[str, Any] = translate(with_s3_code(template))
    return translated


@pytest.fixture(scope="module")
def stack(aws: Any, package_dir: Path, deployable: dict[str, Any]) -> dict[str, Any]:
    s3 = aws("s3")
    s3.create_bucket(Bucket=CODE_BUCKET)
    for zip_path in sorted(package_dir.glob("*/*.zip")):
        s3.upload_file(str(zip_path), CODE_BUCKET, f"{zip_path.parent.name}/{zip_path.name}")
    template = json.loads(json.dumps(deployable))
    body = None
    for logical, res in list(template["Resources"].items()):
        if res["Type"] in NOT_MODELLED:
            del template["Resources"][logical]
        elif res["Type"] == "AWS::ApiGateway::RestApi":
            body = res["Properties"].pop("Body")
            res["Properties"]["Name"] = f"{PREFIX}api"
    template["Outputs"] = {k: v for k, v in template["Outputs"].items() if k == "FailedEventsQueueUrl"}
    params = [{"ParameterKey": k, "ParameterValue": f"value-of-{k}"}
              for k, v in template["Parameters"].items() if "Default" not in v]
    cf = aws("cloudformation")
    cf.create_stack(StackName="aisha-prod", TemplateBody=json.dumps(template), Parameters=params,
                    Capabilities=["CAPABILITY_IAM"])
    status = cf.describe_stacks(StackName="aisha-prod")["Stacks"][0]
    assert status["StackStatus"] == "CREATE_COMPLETE", status.get("StackStatusReason")
    return {"body": body}


def test_every_function_is_created_as_declared(aws: Any, stack: dict[str, Any], package_dir: Path) -> None:
    lam = aws("lambda")
    names = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    assert names == {PREFIX + n for n in MANIFEST.functions}
    for name, fn in MANIFEST.functions.items():
        conf = lam.get_function(FunctionName=PREFIX + name)["Configuration"]
        assert (conf["Handler"], conf["Runtime"], conf["MemorySize"], conf["Timeout"]) == \
            (fn.handler, "python3.11", fn.lambda_memory_size, fn.lambda_timeout)
        code = (package_dir / "functions" / f"{name}.zip").read_bytes()
        assert conf["CodeSha256"] == base64.b64encode(hashlib.sha256(code).digest()).decode()
        env = conf["Environment"]["Variables"]
        assert env["TELEGRAM_BOT_TOKEN"] == "value-of-TelegramBotToken"
        assert env["FUNCTION_NAME_PREFIX"] == PREFIX and "PRICE_IMAGE" not in env  # empty: left out
        concurrency = lam.get_function_concurrency(FunctionName=PREFIX + name).get("ReservedConcurrentExecutions")
        assert concurrency == fn.reserved_concurrency


def test_layers_are_created_for_the_runtime(aws: Any, stack: dict[str, Any], package_dir: Path) -> None:
    lam = aws("lambda")
    # moto names a layer after its logical id (SAM's `CoreLayer<hash>`), not the template's LayerName
    layers = {item["LayerName"].split("-")[2].split("Layer")[0].lower(): item["LatestMatchingVersion"]
              for item in lam.list_layers()["Layers"]}
    assert set(layers) == set(MANIFEST.layers)
    for name, version in layers.items():
        assert version["CompatibleRuntimes"] == ["python3.11"]
        layer_name, number = version["LayerVersionArn"].split(":layer:")[1].rsplit(":", 1)
        content = lam.get_layer_version(LayerName=layer_name, VersionNumber=int(number))["Content"]
        zipped = (package_dir / "layers" / f"{name}.zip").read_bytes()
        assert content["CodeSha256"] == base64.b64encode(hashlib.sha256(zipped).digest()).decode()


def test_every_schedule_is_a_rule_targeting_its_function(aws: Any, stack: dict[str, Any]) -> None:
    events = aws("events")
    found = {}
    for rule in events.list_rules()["Rules"]:
        (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        found[target["Arn"].rsplit(":", 1)[1]] = rule["ScheduleExpression"]
    assert found == {PREFIX + n: s.expression for n, fn in MANIFEST.functions.items() for s in fn.schedules}


def test_every_route_reaches_its_function_on_one_stage(aws: Any, stack: dict[str, Any]) -> None:
    apigw = aws("apigateway")
    (api,) = apigw.get_rest_apis()["items"]
    arns = {f["FunctionArn"]: f["FunctionName"] for f in aws("lambda").list_functions()["Functions"]}
    body = json.dumps(stack["body"])
    body = re.sub(r'\{"Fn::Sub": "([^"]*)"\}', r'"\1"', body).replace("${AWS::Region}", REGION)
    body = body.replace('{"Ref": "AWS::StackName"}', '"aisha-prod"')
    for logical in re.findall(r"\$\{(\w+Function)\.Arn\}", body):
        arn = next(a for a, n in arns.items() if n == PREFIX + _snake(logical.removesuffix("Function")))
        body = body.replace("${" + logical + ".Arn}", arn)
    apigw.put_rest_api(restApiId=api["id"], mode="overwrite", body=body.encode())
    apigw.create_deployment(restApiId=api["id"], stageName=MANIFEST.api_gateway_stage)
    routes = {}
    for res in apigw.get_resources(restApiId=api["id"])["items"]:
        for method in res.get("resourceMethods", {}):
            integration = apigw.get_integration(restApiId=api["id"], resourceId=res["id"], httpMethod=method)
            assert integration["type"].upper() == "AWS_PROXY"  # moto keeps the body's spelling
            routes[(method, res["path"])] = arns[integration["uri"].split("/functions/")[1].split("/")[0]]
    assert routes == {(r.method, r.path): PREFIX + n for n, fn in MANIFEST.functions.items() for r in fn.routes}
    assert [s["stageName"] for s in apigw.get_stages(restApiId=api["id"])["item"]] == ["api"]


def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", camel).lower()
