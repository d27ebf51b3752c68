"""`python -m infra.journal`: search, show, list and replay against the real database and Redis."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aisha.db import Database
from aisha.services import chat_queue

from infra.journal.cli import main
from tests.integration.ops.invoke_recorder import InvokeRecorder

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def env(services: dict[str, str], database_url: str) -> dict[str, str]:
    return {**services, "DATABASE_URL": database_url, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


def run(env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err, environ=env)
    return code, out.getvalue(), err.getvalue()


def _event(db: Database, provider: str, body: dict[str, Any], *, status: str = "parked", key: str | None = None,
           endpoint: str = "/webhook/telegram", code: str | None = "handler_Unhandled") -> int:
    key = key or uuid.uuid4().hex
    with db.transaction() as conn:
        row = conn.execute(
            "INSERT INTO webhook_events (provider, endpoint, delivery_key, claimed_key, headers, body, signature, "
            "status, error_code, last_error, processing_attempts) VALUES (%s, %s, %s, %s, %s, %s, 'valid', %s, %s, "
            "%s, 3) RETURNING id",
            (provider, endpoint, key, key, json.dumps({"content-type": "application/json"}),
             json.dumps(body).encode(), status, code, "bot_start: boom" if code else None)).fetchone()
    return int(row["id"])


def _update(user: int) -> dict[str, Any]:
    update_id = int(uuid.uuid4().int % 10**9)
    return {"update_id": update_id, "message": {"message_id": 1, "date": 0, "text": "/start",
                                                "chat": {"id": user, "type": "private"},
                                                "from": {"id": user, "is_bot": False, "first_name": "A"}}}


def test_search_filters_by_user_provider_status_and_time(env: dict[str, str], db: Database,
                                                         make_user: Callable[..., int]) -> None:
    user, other = make_user(), make_user()
    mine = _event(db, "telegram", _update(user))
    _event(db, "telegram", _update(other))
    processed = _event(db, "telegram", _update(user), status="processed", code=None)
    code, out, _ = run(env, "search", "--user", str(user), "--json")
    assert code == 0
    assert [i["id"] for i in json.loads(out)] == [processed, mine]
    code, out, _ = run(env, "search", "--user", str(user), "--status", "parked", "--provider", "telegram", "--json")
    assert [i["id"] for i in json.loads(out)] == [mine]
    code, out, _ = run(env, "search", "--user", str(user), "--until", "1h", "--json")
    assert json.loads(out) == []  # all of them are newer than an hour
    code, out, _ = run(env, "search", "--user", str(user), "--since", "1h")
    assert code == 0 and str(mine) in out and "handler_Unhandled" in out


def test_search_by_delivery_id_and_fal_owner(env: dict[str, str], db: Database, make_user: Callable[..., int]) -> None:
    user = make_user()
    request_id = f"req-{uuid.uuid4().hex}"
    with db.transaction() as conn:
        conn.execute("INSERT INTO generations (user_id, prompt, num_images, status, cost, fal_request_id) "
                     "VALUES (%s, 'p', 1, 'queued', 5, %s)", (user, request_id))
    event = _event(db, "fal", {"request_id": request_id, "status": "OK", "payload": {}}, key=request_id,
                   endpoint="/webhook/fal/status", code="fal_file_unavailable")
    code, out, _ = run(env, "search", "--delivery-id", request_id, "--json")
    assert code == 0 and [i["id"] for i in json.loads(out)] == [event]
    code, out, _ = run(env, "search", "--user", str(user), "--provider", "fal", "--json")
    assert code == 0 and [i["id"] for i in json.loads(out)] == [event]


def test_show_gives_headers_body_outcome_attempts_and_the_work(env: dict[str, str], db: Database,
                                                               make_user: Callable[..., int]) -> None:
    user = make_user()
    event = _event(db, "telegram", _update(user))
    code, out, _ = run(env, "show", str(event), "--json")
    shown = json.loads(out)
    assert code == 0
    assert shown["headers"] == {"content-type": "application/json"}
    assert shown["body"]["message"]["text"] == "/start"
    assert shown["status"] == "parked" and shown["code"] == "handler_Unhandled" and shown["error"] == "bot_start: boom"
    assert shown["deliveries"] == 1 and shown["processing_attempts"] == 3 and shown["users"] == [user]
    code, _, err = run(env, "show", "999999999")
    assert code == 1 and "no journal event" in err


def test_list_shows_parked_with_why(env: dict[str, str], db: Database, make_user: Callable[..., int]) -> None:
    event = _event(db, "telegram", _update(make_user()))
    done = _event(db, "telegram", _update(make_user()), status="processed", code=None)
    code, out, _ = run(env, "list", "--provider", "telegram")
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert code == 0 and str(event) in lines and str(done) not in lines
    assert "handler_Unhandled bot_start: boom" in lines[str(event)]


def test_replay_hands_a_parked_update_to_the_dispatcher_once(
        env: dict[str, str], db: Database, make_user: Callable[..., int], services: dict[str, str]) -> None:
    import redis

    user = make_user()
    event = _event(db, "telegram", _update(user))
    client = redis.Redis.from_url(services["REDIS_URL"])
    client.delete(f"aisha:chatq:{user}:updates")
    with InvokeRecorder() as lam:
        code, out, _ = run(env, "replay", str(event), "--endpoint-url", lam.url)
        assert code == 0 and f"{event}: replayed" in out
        assert lam.calls == [("tg_dispatch", "Event", {"chat_id": user})]
        assert chat_queue.pending(client, user) == 1
        code, out, _ = run(env, "replay", str(event), "--endpoint-url", lam.url)  # again: nothing happens
        assert code == 0 and "not_parked" in out and len(lam.calls) == 1
    with db.transaction() as conn:
        row = conn.execute("SELECT status, processing_attempts FROM webhook_events WHERE id = %s", (event,)).fetchone()
    assert row == {"status": "received", "processing_attempts": 0}
    client.close()


def test_replay_of_a_fal_delivery_goes_to_its_processor(env: dict[str, str], db: Database,
                                                       make_user: Callable[..., int]) -> None:
    user = make_user()
    request_id = f"req-{uuid.uuid4().hex}"
    with db.transaction() as conn:
        conn.execute("INSERT INTO avatars (user_id, name, gender, training_type, trigger_phrase, status, "
                     "fal_request_id, training_started_at) VALUES (%s, 'a', 'male', 'portrait', %s, 'training', %s, "
                     "now())", (user, f"tp{uuid.uuid4().hex}", request_id))
    # delivered on the status endpoint, but its work is a training: the training processor gets it
    event = _event(db, "fal", {"request_id": request_id, "status": "OK"}, key=request_id,
                   endpoint="/webhook/fal/status", code="fal_file_unavailable")
    with InvokeRecorder() as lam:
        code, _out, _ = run(env, "replay", str(event), "--endpoint-url", lam.url)
        assert code == 0 and lam.calls == [("fal_process_training", "Event", {"event_id": event})]


def test_a_replay_the_runner_refuses_leaves_the_event_parked(env: dict[str, str], db: Database,
                                                            make_user: Callable[..., int]) -> None:
    event = _event(db, "telegram", _update(make_user()))
    with InvokeRecorder() as lam:
        lam.status = 500
        code, out, _ = run(env, "replay", str(event), "--endpoint-url", lam.url)
    assert code == 1 and f"{event}: failed: left parked" in out
    with db.transaction() as conn:
        row = conn.execute("SELECT status, processing_attempts FROM webhook_events WHERE id = %s", (event,)).fetchone()
    assert row == {"status": "parked", "processing_attempts": 3}


def test_replay_without_an_endpoint_says_what_to_give(env: dict[str, str]) -> None:
    code, _, err = run({k: v for k, v in env.items() if k != "LAMBDA_ENDPOINT_URL"}, "replay", "1")
    assert code == 2 and "--endpoint-url" in err


def test_bad_time_is_a_clear_error(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run(env, "search", "--since", "yesterday-ish")
    assert exit_.value.code == 2 and "neither ISO 8601 nor an age" in capsys.readouterr().err


def test_the_cli_runs_as_an_operator_types_it_with_settings_from_an_env_file(
        env: dict[str, str], db: Database, make_user: Callable[..., int], tmp_path: Any) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    event = _event(db, "telegram", _update(make_user()))
    env_file = tmp_path / "services.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    shell = {k: v for k, v in os.environ.items() if k not in env and not k.startswith(("DATABASE", "REDIS", "S3_"))}
    done = subprocess.run([sys.executable, "-m", "infra.journal", "--env-file", str(env_file), "list", "--json"],
                          cwd=Path(__file__).resolve().parents[3], env=shell, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert event in [i["id"] for i in json.loads(done.stdout)]


def test_the_cli_loads_no_fal_client_no_s3_and_no_pydantic() -> None:
    """An operator's `list` answers in a quarter of a second: it loaded the FAL client, S3 and pydantic
    once (0.7 s of CPU), only to ask which processor a FAL delivery goes to when one is replayed."""
    code = ("import json, sys\nfrom infra.cli_env import core_on_path\ncore_on_path()\nimport infra.journal.cli\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n")
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                                           check=True, timeout=60).stdout))
    assert not loaded & {"fal_client", "httpx", "boto3", "botocore", "pydantic", "telegram"}, sorted(loaded)
