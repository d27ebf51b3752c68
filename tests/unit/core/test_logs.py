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
