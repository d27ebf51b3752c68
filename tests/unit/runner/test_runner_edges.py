"""Lambda-exact edges, as pure functions: trusted proxies, binary media types, settings, metrics."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from local_runner.apigw import HttpRequest, from_proxy_response, source_ip, to_event
from local_runner.config import RunnerConfig, parse_networks
from local_runner.control_api import lambda_operation
from local_runner.errors import ConfigError, ManifestError
from local_runner.manifest import DEFAULT_BINARY_MEDIA_TYPES, Route, parse_manifest
from local_runner.metrics import Metrics
from local_runner.routes import Match

NGINX = parse_networks("127.0.0.1, ::1")


def event(body: bytes, headers: list[tuple[str, str]], binary: tuple[str, ...], peer: str = "127.0.0.1",
          trusted: tuple = ()) -> dict:  # type: ignore[type-arg]
    req = HttpRequest("POST", "/f", [], headers, body, peer=peer)
    return to_event(req, Match("f", Route("POST", "/f"), {}), stage="api", request_id="r", account_id="1",
                    app_name="a", binary_types=binary, trusted_proxies=trusted)


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    assert source_ip("127.0.0.1", "198.51.100.7", ()) == "127.0.0.1"  # none trusted by default
    assert source_ip("10.9.9.9", "198.51.100.7", NGINX) == "10.9.9.9"  # a peer that is not the proxy
    assert source_ip("127.0.0.1", "198.51.100.7", NGINX) == "198.51.100.7"
    # the client's own header, appended to by the proxy: the rightmost untrusted hop is the client
    assert source_ip("127.0.0.1", "203.0.113.66, 198.51.100.7", NGINX) == "198.51.100.7"
    assert source_ip("127.0.0.1", "198.51.100.7, 127.0.0.1", NGINX) == "198.51.100.7"
    assert source_ip("::1", "2001:db8::5", NGINX) == "2001:db8::5"


def test_a_forwarded_value_that_is_not_an_ip_never_reaches_source_ip() -> None:
    for spoof in ("<script>", "evil.example, 198.51.100.7x", "", " , ", "1.2.3.4.5", "unknown"):
        got = source_ip("127.0.0.1", spoof, NGINX)
        assert got == "127.0.0.1", (spoof, got)
    ev = event(b"", [("X-Forwarded-For", "not-an-ip")], (), trusted=NGINX)
    assert ev["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"


def test_request_bodies_follow_the_binary_media_types() -> None:
    raw = b"\x89PNG\r\n\x00\xff"
    png = event(raw, [("Content-Type", "image/png")], ("image/png",))
    assert png["isBase64Encoded"] is True and base64.b64decode(png["body"]) == raw
    wildcard = event(b"{}", [("Content-Type", "application/json; charset=utf-8")], ("*/*",))
    assert wildcard["isBase64Encoded"] is True and base64.b64decode(wildcard["body"]) == b"{}"
    group = event(raw, [("Content-Type", "IMAGE/JPEG")], ("image/*",))
    assert group["isBase64Encoded"] is True
    # not listed: text, even for bytes that are not UTF-8
    text = event(b"a\xffb", [("Content-Type", "image/png")], ("application/octet-stream",))
    assert text["isBase64Encoded"] is False and text["body"] == "a\ufffdb"
    none = event(b"x", [], DEFAULT_BINARY_MEDIA_TYPES)
    assert none["isBase64Encoded"] is False and none["body"] == "x"


def test_a_base64_response_is_decoded_only_for_a_binary_accept_type() -> None:
    payload = json.dumps({"statusCode": 200, "headers": {"Content-Type": "image/png"},
                          "body": base64.b64encode(b"\x89PNG").decode(), "isBase64Encoded": True}).encode()
    types = ("image/png",)
    decoded = from_proxy_response(payload, "image/png", types)
    assert decoded is not None and decoded.body == b"\x89PNG"
    # API Gateway looks at the first Accept type only
    assert from_proxy_response(payload, "text/html, image/png", types).body == base64.b64encode(b"\x89PNG")  # type: ignore[union-attr]
    assert from_proxy_response(payload, "image/png;q=0.9, text/html", types).body == b"\x89PNG"  # type: ignore[union-attr]
    assert from_proxy_response(payload, None, types).body == base64.b64encode(b"\x89PNG")  # type: ignore[union-attr]
    assert from_proxy_response(payload, "*/*", ("*/*",)).body == b"\x89PNG"  # type: ignore[union-attr]
    assert from_proxy_response(payload, "image/png", ()).body == base64.b64encode(b"\x89PNG")  # type: ignore[union-attr]


def test_binary_media_types_in_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "f").mkdir()
    base = {"functions": {"f": {"source": "f", "handler": "app.handler"}}}
    m = parse_manifest(base, tmp_path / "chalice.json", "dev", {})
    assert m.binary_media_types == DEFAULT_BINARY_MEDIA_TYPES
    top = {**base, "binary_media_types": ["image/png"], "stages": {"dev": {}, "prod": {"binary_media_types": ["*/*"]}}}
    assert parse_manifest(top, tmp_path / "chalice.json", "dev", {}).binary_media_types == ("image/png",)
    assert parse_manifest(top, tmp_path / "chalice.json", "prod", {}).binary_media_types == ("*/*",)
    for bad in ("image/png", ["png"], [1], ["a/b c"]):
        with pytest.raises(ManifestError, match="binary_media_types"):
            parse_manifest({**base, "binary_media_types": bad}, tmp_path / "chalice.json", "dev", {})


@pytest.mark.parametrize(("var", "value"), [
    ("RUNNER_IDLE_TIMEOUT", "soon"), ("RUNNER_MAX_WORKERS_PER_FUNCTION", "1.5"), ("RUNNER_THROTTLE_WAIT", "-1"),
    ("RUNNER_MAX_BODY_BYTES", "6MB"), ("RUNNER_TRUSTED_PROXIES", "127.0.0.1, nginx"), ("RUNNER_API_TIMEOUT", "nan"),
    ("RUNNER_WORKER_NICE", "20"), ("RUNNER_WORKER_NICE", "-5"),
])
def test_a_malformed_runner_variable_names_itself(var: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        RunnerConfig.from_env({var: value})
    assert info.value.variable == var and str(info.value).startswith(f"{var}={value!r} is not valid")


def test_trusted_proxies_and_event_limit_settings() -> None:
    config = RunnerConfig.from_env({"RUNNER_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8", "RUNNER_FIXTURE_X": "free"})
    assert [str(n) for n in config.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8"]
    defaults = RunnerConfig.from_env({})
    assert defaults.trusted_proxies == () and defaults.max_event_bytes == 1024 * 1024


def test_metrics_have_no_created_series() -> None:
    metrics = Metrics()
    metrics.invocations.labels("f", "success").inc()
    metrics.duration.labels("f").observe(0.01)
    text = metrics.render().decode()
    assert 'runner_invocations_total{function="f",outcome="success"} 1.0' in text
    assert "runner_invocation_duration_seconds_count" in text and "_created" not in text


def test_control_plane_operations_are_named_from_botocore_model() -> None:
    assert lambda_operation("POST", "/2015-03-31/functions") == "CreateFunction"
    assert lambda_operation("DELETE", "/2015-03-31/functions/echo") == "DeleteFunction"
    assert lambda_operation("GET", "/2015-03-31/functions/echo/configuration") == "GetFunctionConfiguration"
    assert lambda_operation("PUT", "/2017-10-31/functions/echo/concurrency") == "PutFunctionConcurrency"
    assert lambda_operation("GET", "/2099-01-01/nothing") is None
