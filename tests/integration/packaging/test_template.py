"""The generated SAM template: cfn-lint clean, translatable, and saying what the manifest says."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local_runner.manifest import RESERVED_VARIABLES, load_manifest
from local_runner.package import package_environ
from tests.integration.packaging.conftest import ROOT

MANIFEST = load_manifest(ROOT / "chalice.json", "prod", environ=package_environ())


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["FunctionName"]["Fn::Sub"].split("}", 1)[1]: r["Properties"]
            for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"}


def cfn_lint(*paths: Path) -> subprocess.CompletedProcess[str]:
    pinned = Path(sys.executable).with_name("cfn-lint")  # the pinned one, not another on PATH
    exe = str(pinned) if pinned.exists() else shutil.which("cfn-lint") or "cfn-lint"
    return subprocess.run([exe, "--format", "parseable", *map(str, paths)], capture_output=True, text=True,
                          timeout=300)


def _broken() -> dict[str, Any]:
    """A one-function template with a runtime Lambda no longer has (one function lints in a fifth of the time)."""
    broken = _one_function("tg_webhook")
    next(iter(functions(broken).values()))["Runtime"] = "python2.7"
    return broken


def _one_function(function: str, *, secrets_manager_secret: str | None = None, **changes: Any) -> dict[str, Any]:
    """The template of a manifest holding only `function`, its declaration changed by `changes`."""
    import dataclasses

    from local_runner.package import sam_template

    fn = dataclasses.replace(MANIFEST.functions[function], **changes)
    return sam_template(dataclasses.replace(MANIFEST, functions={function: fn}),
                        secrets_manager_secret=secrets_manager_secret)


@pytest.fixture(scope="module")
def lint(package_dir: Path, cfn: dict[str, Any],
         tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, str]]]:
    """cfn-lint's findings, (rule, message), for each template these tests lint, from one cfn-lint run: a run
    costs about 2.5 s of CPU, most of it cfn-lint's own start, so five runs were half the packaging group's."""
    folder = tmp_path_factory.mktemp("lint")
    # the variants change what every function has alike: one function shows it, in a fifth of the lint time
    templates = {"cfn": cfn, "broken": _broken(),
                 "provisioned": _one_function("tg_webhook", provisioned_concurrency=3),
                 "secrets": _one_function("health", secrets_manager_secret="aisha/prod")}
    paths = {"sam": package_dir / "template.json"}
    for name, template in templates.items():
        paths[name] = folder / f"{name}.json"
        paths[name].write_text(json.dumps(template))
    result = cfn_lint(*paths.values())
    assert result.returncode & 1 == 0, f"cfn-lint itself failed: {result.stderr}"  # 2/4/8: findings
    names = {str(path): name for name, path in paths.items()}
    findings: dict[str, list[tuple[str, str]]] = {name: [] for name in paths}
    for line in result.stdout.splitlines():  # path:line:column:end line:end column:rule:message
        path, _, _, _, _, rule, message = line.split(":", 6)
        findings[names[path]].append((rule, message))
    return findings


def test_cfn_lint_passes_on_the_sam_template_and_its_translation(lint: dict[str, list[tuple[str, str]]]) -> None:
    assert lint["sam"] == []
    # W1020: the translator itself writes LayerName as a Fn::Sub with the parameter's default filled in
    assert [f for f in lint["cfn"] if f[0] != "W1020"] == []


def test_cfn_lint_is_not_a_rubber_stamp(lint: dict[str, list[tuple[str, str]]]) -> None:
    assert [rule for rule, message in lint["broken"] if "python2.7" in message] == ["E2533"], lint["broken"]


def test_every_function_says_what_the_manifest_says(sam: dict[str, Any]) -> None:
    fns = functions(sam)
    assert set(fns) == set(MANIFEST.functions)
    for name, fn in MANIFEST.functions.items():
        props = fns[name]
        assert props["Handler"] == fn.handler and props["Runtime"] == "python3.11"
        assert props["Architectures"] == ["x86_64"] and props["CodeUri"] == f"functions/{name}.zip"
        assert props["MemorySize"] == fn.lambda_memory_size and props["Timeout"] == fn.lambda_timeout
        assert props.get("ReservedConcurrentExecutions") == fn.reserved_concurrency
        assert [ref["Ref"] for ref in props["Layers"]] == [f"{n.capitalize()}Layer" for n in fn.layers]
        routes = sorted((e["Properties"]["Method"], e["Properties"]["Path"]) for e in props["Events"].values()
                        if e["Type"] == "Api")
        assert routes == sorted((r.method.lower(), r.path) for r in fn.routes)
        schedules = [e["Properties"]["Schedule"] for e in props["Events"].values() if e["Type"] == "Schedule"]
        assert schedules == [s.expression for s in fn.schedules]
        config = props["EventInvokeConfig"]
        assert config["MaximumRetryAttempts"] == 2
        assert config["DestinationConfig"]["OnFailure"] == {"Type": "SQS",
                                                            "Destination": {"Fn::GetAtt": ["FailedEventsQueue", "Arn"]}}
        assert not set(props["Environment"]["Variables"]) & RESERVED_VARIABLES


def test_secrets_are_noecho_parameters_and_never_values(sam: dict[str, Any]) -> None:
    params = sam["Parameters"]
    for secret in ("DatabaseUrl", "RedisUrl", "FalKey", "TelegramBotToken", "TelegramWebhookSecret"):
        assert params[secret]["NoEcho"] is True and "Default" not in params[secret]
    for fn in functions(sam).values():
        variables = fn["Environment"]["Variables"]
        assert variables["TELEGRAM_BOT_TOKEN"] == {"Ref": "TelegramBotToken"}
        assert variables["FUNCTION_NAME_PREFIX"] == {"Ref": "FunctionNamePrefix"}
        assert "LAMBDA_ENDPOINT_URL" not in variables  # a runner instance's URL: on AWS, AWS's own endpoint
        assert variables["AISHA_STAGE"] == "prod"
        assert variables["PRICE_IMAGE"] == {"Fn::If": ["HasPriceImage", {"Ref": "PriceImage"},
                                                        {"Ref": "AWS::NoValue"}]}
        assert fn["VpcConfig"]["Fn::If"][0] == "HasVpc"


def test_secrets_manager_variant_uses_dynamic_references(lint: dict[str, list[tuple[str, str]]]) -> None:
    from local_runner.package import sam_template

    template = sam_template(MANIFEST, secrets_manager_secret="aisha/prod")
    variables = functions(template)["health"]["Environment"]["Variables"]
    assert variables["FAL_KEY"] == "{{resolve:secretsmanager:aisha/prod:SecretString:FAL_KEY}}"
    assert "FalKey" not in template["Parameters"]
    assert lint["secrets"] == []


def test_iam_is_least_privilege(sam: dict[str, Any]) -> None:
    role = sam["Resources"]["FunctionRole"]["Properties"]
    statements = {s["Sid"]: s for s in role["Policies"][0]["PolicyDocument"]["Statement"]}
    invoked = {r["Fn::Sub"].rsplit("}", 1)[1] for r in statements["InvokeCollectionFunctions"]["Resource"]}
    assert invoked == set(MANIFEST.functions) | {f"{n}:*" for n in MANIFEST.functions}
    buckets = [r["Fn::Sub"][1]["B"] for r in statements["BucketObjects"]["Resource"]]
    assert buckets == [{"Ref": "S3BucketImages"}, {"Ref": "S3BucketLoras"}, {"Ref": "S3BucketPhotos"}]
    assert statements["BucketObjects"]["Action"] == ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    for s in statements.values():
        assert "*" not in json.dumps(s["Action"]) and s["Resource"] != "*"


def test_outputs_name_every_webhook_url(sam: dict[str, Any]) -> None:
    urls = {o["Value"]["Fn::Sub"].split("/api", 1)[1] for k, o in sam["Outputs"].items() if "Url" in k
            and k != "FailedEventsQueueUrl"}
    assert urls == {"", "/health", "/metrics", "/webhook/fal/portrait", "/webhook/fal/status", "/webhook/telegram"}


def test_translation_gives_one_stage_every_route_and_async_settings(cfn: dict[str, Any]) -> None:
    res = cfn["Resources"]
    stages = [r for r in res.values() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert [s["Properties"]["StageName"] for s in stages] == ["api"]
    (api,) = [r for r in res.values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    paths = {(m, p) for p, methods in api["Properties"]["Body"]["paths"].items() for m in methods}
    assert paths == {(r.method.lower(), r.path) for fn in MANIFEST.functions.values() for r in fn.routes}
    configs = [r["Properties"] for r in res.values() if r["Type"] == "AWS::Lambda::EventInvokeConfig"]
    provisioned = [fn for fn in MANIFEST.functions.values() if fn.provisioned_concurrency]
    assert len(configs) == len(MANIFEST.functions) + len(provisioned)  # + the alias of each provisioned one
    assert all(c["MaximumRetryAttempts"] == 2 for c in configs)
    assert sum(c["Qualifier"] == "$LATEST" for c in configs) == len(MANIFEST.functions)
    rules = [r["Properties"] for r in res.values() if r["Type"] == "AWS::Events::Rule"]
    assert sorted(r["ScheduleExpression"] for r in rules) == ["rate(1 hour)", "rate(1 minute)", "rate(5 minutes)"]


def test_provisioned_concurrency_gets_an_alias_and_async_settings_on_both_targets(
        translate: Any, lint: dict[str, list[tuple[str, str]]]) -> None:
    from tests.integration.packaging.conftest import with_s3_code

    template = _one_function("tg_webhook", provisioned_concurrency=3)
    props = functions(template)["tg_webhook"]
    assert props["AutoPublishAlias"] == "live"
    assert props["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 3}
    assert lint["provisioned"] == []
    res = translate(with_s3_code(template))["Resources"]
    (alias,) = [r["Properties"] for r in res.values() if r["Type"] == "AWS::Lambda::Alias"]
    assert alias["Name"] == "live" and alias["ProvisionedConcurrencyConfig"]["ProvisionedConcurrentExecutions"] == 3
    qualifiers = sorted(json.dumps(r["Properties"]["Qualifier"]) for r in res.values()
                        if r["Type"] == "AWS::Lambda::EventInvokeConfig")
    assert qualifiers == ['"$LATEST"', '"live"']
