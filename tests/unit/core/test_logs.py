from __future__ import annotations

import io
import json
import logging

from aisha.logs import bind, configure_logging


def test_lines_are_json_with_the_request_id_and_no_secrets() -> None:
    stream = io.StringIO()
    configure_logging("INFO", secrets=["123:bot-token"], stream=stream)
    log = bind(logging.getLogger("aisha.test"), request_id="req-1")
    log.info("calling https://api.telegram.org/bot123:bot-token/getMe", extra={"update_id": 7})
    try:
        raise ValueError("token 123:bot-token leaked in an error")
    except ValueError:
        log.exception("failed")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["request_id"] == "req-1" and lines[0]["update_id"] == 7
    assert lines[0]["level"] == "INFO" and lines[0]["logger"] == "aisha.test"
    assert "123:bot-token" not in stream.getvalue()
    assert "/bot***/getMe" in lines[0]["message"]
    assert "ValueError" in lines[1]["exception"]
    logging.getLogger().handlers.clear()


def test_every_secret_value_is_masked_as_written_decoded_and_escaped() -> None:
    from aisha.config import load_settings
    from aisha.logs import secret_values

    settings = load_settings({"DATABASE_URL": "postgresql://aisha:pg%2Fpa%22ss@db:5432/aisha",
                              "REDIS_URL": "redis://:redis-pass-1@cache:6379/0",
                              "FAL_KEY": "fal-secret-key", "TELEGRAM_WEBHOOK_SECRET": "hook-secret"})
    secrets = secret_values(settings, {"AWS_SECRET_ACCESS_KEY": "aws/Secret+Key", "AWS_SESSION_TOKEN": "",
                                       "AWS_ACCESS_KEY_ID": "AKIAPUBLIC"})
    assert set(secrets) == {"fal-secret-key", "hook-secret", "pg%2Fpa%22ss", 'pg/pa"ss', "redis-pass-1",
                            "aws/Secret+Key"}
    stream = io.StringIO()
    configure_logging("INFO", secrets=[*secrets, "ab"], stream=stream)
    log = logging.getLogger("aisha.test")
    log.warning("cannot connect to postgresql://aisha:pg%2Fpa%22ss@db:5432/aisha")
    log.warning("auth failed", extra={"password": 'pg/pa"ss', "redis": "redis://:redis-pass-1@cache:6379/0"})
    log.warning("signing with aws/Secret+Key as AKIAPUBLIC, about a tab")
    out = stream.getvalue()
    logging.getLogger().handlers.clear()
    lines = [json.loads(line) for line in out.splitlines()]
    for secret in secrets:
        assert secret not in out and json.dumps(secret)[1:-1] not in out
    assert lines[0]["message"] == "cannot connect to postgresql://aisha:***@db:5432/aisha"
    assert lines[1]["password"] == "***" and lines[1]["redis"] == "redis://:***@cache:6379/0"
    assert "AKIAPUBLIC" in lines[2]["message"] and "about a tab" in lines[2]["message"]  # "ab" is too short
