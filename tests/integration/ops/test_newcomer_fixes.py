"""The `make run` fixes: the webhook secret with and without a bot token, and external services kept."""

from __future__ import annotations

import stat
from pathlib import Path

from infra.devservices import up
from infra.devservices.orchestrate import ENV_FILE, read_env_file
from infra.standins import SECRET_FILE, StandIns
from sandbox.telegram import SandboxClient
from tests import web

NO_FAL = {"FAL_KEY": "not-used"}  # the FAL stand-in is not what these tests are about


def _commands(standins: StandIns, language: str) -> list[dict[str, str]]:
    assert standins.telegram is not None
    answer = web.post(f"{standins.telegram.base_url}{standins.telegram.token}/getMyCommands",
                      json={"language_code": language} if language else {}).json()
    assert answer["ok"], answer
    return list(answer["result"])


def _menu(standins: StandIns, language: str) -> list[str]:
    return [c["command"] for c in _commands(standins, language)]


def _descriptions(standins: StandIns, language: str) -> list[str]:
    return [c["description"] for c in _commands(standins, language)]


def test_a_secret_set_without_a_token_registers_the_stand_in_webhook(tmp_path: Path) -> None:
    standins = StandIns(tmp_path)
    env = standins.start({**NO_FAL, "TELEGRAM_WEBHOOK_SECRET": "given-secret_1"}, telegram_port=0)
    try:
        assert "TELEGRAM_WEBHOOK_SECRET" not in env  # the functions keep the environment's own
        standins.register_webhook("http://127.0.0.1:9")  # was: KeyError 'TELEGRAM_WEBHOOK_SECRET'
        with SandboxClient(standins.telegram.url) as client:
            info = client.webhook_info()
        assert info["url"] == "http://127.0.0.1:9/webhook/telegram"
        menus = {code: _menu(standins, code) for code in ("", "ru")}  # the command menu `make run` registers
        assert "start" in menus[""] and "paysupport" in menus["ru"] and menus[""] == menus["ru"]
        assert _descriptions(standins, "") != _descriptions(standins, "ru")  # each in its language
        assert standins.telegram.core.dispatcher.webhook.secret_token == "given-secret_1"  # what it will send
        assert not (tmp_path / SECRET_FILE).exists()
    finally:
        standins.stop()


def test_a_token_without_a_secret_gets_one_kept_in_a_private_file_and_named(tmp_path: Path) -> None:
    environ = {**NO_FAL, "TELEGRAM_BOT_TOKEN": "123:real-looking-token"}
    first = StandIns(tmp_path)
    env = first.start(environ)
    secret_file = tmp_path / SECRET_FILE
    assert first.telegram is None  # the real Bot API: no stand-in
    assert env["TELEGRAM_WEBHOOK_SECRET"] == secret_file.read_text().strip()
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    said = "\n".join(first.describe())
    assert str(secret_file) in said and env["TELEGRAM_WEBHOOK_SECRET"] not in said  # named, never shown
    again = StandIns(tmp_path).start(environ)
    assert again["TELEGRAM_WEBHOOK_SECRET"] == env["TELEGRAM_WEBHOOK_SECRET"]  # stable: the webhook keeps working


EXTERNAL = {"DATABASE_URL": "postgresql://ops@10.1.2.3:5432/aisha", "REDIS_URL": "redis://10.1.2.3:6379/0",
            "S3_ENDPOINT_URL": "http://10.1.2.3:9000", "AWS_ACCESS_KEY_ID": "minio-key",
            "AWS_SECRET_ACCESS_KEY": "minio-secret"}


def test_external_services_recorded_by_a_first_run_stay_on_the_second(tmp_path: Path) -> None:
    first = up(tmp_path, EXTERNAL, migrate=False)
    assert first.started_here == [] and sorted(first.external) == ["postgres", "redis", "s3"]
    recorded = read_env_file(tmp_path)
    assert {k: recorded[k] for k in EXTERNAL} == EXTERNAL  # the AWS keys of that S3 too
    assert stat.S_IMODE((tmp_path / ".local" / ENV_FILE).stat().st_mode) == 0o600
    # second run from a shell that sourced services.env: was replaced by local servers
    second = up(tmp_path, dict(recorded), migrate=False)
    assert second.started_here == [] and {k: second.env[k] for k in EXTERNAL} == EXTERNAL
    # and from a fresh shell that sets nothing: the recorded external servers are kept
    third = up(tmp_path, {}, migrate=False)
    assert third.started_here == [] and {k: third.env[k] for k in EXTERNAL} == EXTERNAL
    # the environment naming another server still wins
    moved = up(tmp_path, {**EXTERNAL, "DATABASE_URL": "postgresql://ops@10.9.9.9:5432/aisha"}, migrate=False)
    assert moved.env["DATABASE_URL"] == "postgresql://ops@10.9.9.9:5432/aisha" and moved.started_here == []
