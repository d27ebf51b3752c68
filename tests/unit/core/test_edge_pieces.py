"""The pieces under the handlers' edge: SigV4 signing, callback data, errors as HTTP answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from aisha.callbacks import Callback, button_data
from aisha.errors import ClientError, InvokeError, Unauthorized, Unavailable, WebhookRejected
from aisha.handlers.edge import error_response
from aisha.models import NOTIFICATION_KINDS, SignatureOutcome
from aisha.sigv4 import Credentials, canonical_uri, sign
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

NOW = datetime(2026, 3, 1, 12, 30, 45, tzinfo=UTC)


@pytest.mark.parametrize("token", [None, "session-token"])
def test_sigv4_signature_is_the_one_botocore_computes(token: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    body = json.dumps({"chat_id": 42}).encode()
    path = "/2015-03-31/functions/aisha-prod-tg_dispatch/invocations"
    extra = {"X-Amz-Invocation-Type": "Event", "Content-Type": "application/json"}
    ours = sign("POST", "lambda.eu-west-1.amazonaws.com", path, body, service="lambda", region="eu-west-1",
                credentials=Credentials("AKIDEXAMPLE", "secret/key+x", token), now=NOW, headers=extra)

    request = AWSRequest(method="POST", url=f"https://lambda.eu-west-1.amazonaws.com{path}", data=body,
                         headers=dict(extra))
    monkeypatch.setattr("botocore.auth.datetime.datetime", type("Fixed", (), {"utcnow": staticmethod(
        lambda: NOW.replace(tzinfo=None)), "now": staticmethod(lambda tz=None: NOW)}))
    SigV4Auth(BotoCredentials("AKIDEXAMPLE", "secret/key+x", token), "lambda", "eu-west-1").add_auth(request)
    assert request.headers["X-Amz-Date"] == ours["X-Amz-Date"]
    theirs = request.headers["Authorization"]
    assert ours["Authorization"].rsplit("Signature=", 1)[1] == theirs.rsplit("Signature=", 1)[1]


def test_sigv4_encodes_path_segments_twice_as_non_s3_services_sign_them() -> None:
    assert canonical_uri("/2015-03-31/functions/arn:aws:lambda:x/invocations") == \
        "/2015-03-31/functions/arn%253Aaws%253Alambda%253Ax/invocations"


def test_credentials_come_from_the_environment_lambda_sets() -> None:
    assert Credentials.from_env({}) is None
    found = Credentials.from_env({"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_SESSION_TOKEN": "t"})
    assert found == Credentials("a", "b", "t")


def test_callback_data_round_trips_and_is_checked_against_64_bytes() -> None:
    assert Callback.parse("gallery:adel_ok:17") == Callback("gallery", "adel_ok", "17")
    assert Callback.parse("gallery:adel_ok:17").number == 17  # type: ignore[union-attr]
    assert Callback.parse("menu") == Callback("menu")
    assert button_data("gen", "count", 3) == "gen:count:3"
    assert Callback.parse(button_data("lang", "set", "ru")) == Callback("lang", "set", "ru")
    with pytest.raises(ValueError, match="64 bytes"):
        button_data("gallery", "image", "я" * 30)
    assert Callback.parse("x" * 65) is None
    assert Callback.parse("") is None and Callback.parse(None) is None
    assert Callback.parse("~2:gallery:image:1") is None  # a format this code does not know is a stale button


def test_an_error_becomes_its_status_code_and_retry_after() -> None:
    answer = error_response(Unauthorized("secret token missing or wrong", code="invalid_secret_token"))
    assert answer["statusCode"] == 401
    assert json.loads(answer["body"]) == {"error": "invalid_secret_token", "code": "invalid_secret_token",
                                          "message": "secret token missing or wrong"}
    busy = error_response(Unavailable("try again later", code="queue_unavailable", retry_after=4.2))
    assert (busy["statusCode"], busy["headers"]["Retry-After"]) == (503, "5")
    rejected = error_response(WebhookRejected("bad", code="missing_header", status=400,
                                              outcome=SignatureOutcome.MISSING))
    assert rejected["statusCode"] == 400 and "Retry-After" not in rejected["headers"]
    assert error_response(ClientError("no", code="malformed_update"))["statusCode"] == 400
    assert error_response(InvokeError("down"))["statusCode"] == 502


def test_every_notification_kind_has_a_renderer() -> None:
    from aisha.telegram.notifier import RENDERERS

    assert set(RENDERERS) == NOTIFICATION_KINDS


def test_the_bot_builds_no_button_whose_data_is_not_a_valid_callback() -> None:
    from aisha.bot.context import keyboard

    markup = keyboard([[("Start", "avatar:confirm:12")], [("Menu", "menu:show")]])
    assert [b.callback_data for row in markup.inline_keyboard for b in row] == ["avatar:confirm:12", "menu:show"]
    for bad in ("gallery:image:" + "9" * 60, "", "~2:menu", "a::b"):
        with pytest.raises(ValueError, match="callback data"):
            keyboard([[("x", bad)]])
