"""The stand-in over plain HTTP: every encoding Telegram accepts, the admin API's reads, and the CLI."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sandbox.telegram import AdminError, SandboxClient, TelegramSandbox
from tests import web
from tests.integration.sandbox_telegram.harness import image

ROOT = Path(__file__).resolve().parents[3]


def test_query_json_form_and_multipart_requests(sandbox: TelegramSandbox, client: SandboxClient) -> None:
    client.send_text(61, "hello")
    api = f"{sandbox.base_url}{sandbox.token}"
    assert web.get(f"{api}/sendMessage", params={"chat_id": 61, "text": "by query"}).json()["ok"]
    assert web.post(f"{api}/sendMessage", json={"chat_id": 61, "text": "by json"}).json()["ok"]
    form = {"chat_id": "61", "text": "by form", "reply_markup": json.dumps({"remove_keyboard": True})}
    assert web.post(f"{api}/sendMessage", data=form).json()["ok"]
    media = json.dumps([{"type": "photo", "media": "attach://one", "caption": "1"},
                        {"type": "photo", "media": "attach://two"}])
    files = {"one": ("1.jpg", image(), "image/jpeg"), "two": ("2.png", image(fmt="PNG"), "image/png")}
    answer = web.post(f"{api}/sendMediaGroup", data={"chat_id": "61", "media": media}, files=files)
    assert answer.status_code == 200 and len(answer.json()["result"]) == 2
    missing = web.post(f"{api}/sendMediaGroup", data={"chat_id": "61", "media": media},
                       files={"one": ("1.jpg", image(), "image/jpeg")}).json()
    assert missing == {"ok": False, "error_code": 400,
                       "description": "Bad Request: wrong file identifier/HTTP URL specified"}
    texts = [m["message"].get("text") for m in client.messages(61, direction="out")]
    assert texts[:3] == ["by query", "by json", "by form"]
    unknown = web.get(f"{api}/fooBar")
    assert (unknown.status_code, unknown.json()["description"]) == (404, "Not Found")
    bad = web.get(f"{sandbox.base_url}123:wrong-token-value/getMe")
    assert (bad.status_code, bad.json()) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    recorded = client.calls(method="sendMediaGroup")[0]
    assert recorded["params"]["media"][0]["media"] == "attach://one"
    assert [f["field"] for f in recorded["files"]] == ["one", "two"]


def test_file_downloads_need_the_token(sandbox: TelegramSandbox, client: SandboxClient) -> None:
    sent = client.send_documents(62, [(b"hello file", "hello.txt", "text/plain")])
    file_id = sent["messages"][0]["message"]["document"]["file_id"]
    path = web.get(f"{sandbox.base_url}{sandbox.token}/getFile", params={"file_id": file_id}).json()["result"]
    assert web.get(f"{sandbox.base_file_url}{sandbox.token}/{path['file_path']}").content == b"hello file"
    assert web.get(f"{sandbox.base_file_url}1:wrong-token-xyz/{path['file_path']}").status_code == 401
    assert web.get(f"{sandbox.base_file_url}{sandbox.token}/documents/nope.txt").status_code == 404


def test_admin_reads_wait_and_reset(sandbox: TelegramSandbox, client: SandboxClient) -> None:
    first = client.send_text(63, "/start", user={"first_name": "Ann", "username": "ann"})
    assert first["message"]["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert client.messages(63, after=1, wait=0.2) == []
    api = f"{sandbox.base_url}{sandbox.token}"
    web.post(f"{api}/sendMessage", json={"chat_id": 63, "text": "welcome"})
    assert client.wait_bot_messages(63, after=1)[0]["message"]["text"] == "welcome"
    with pytest.raises(TimeoutError):
        client.wait_bot_messages(63, after=2, timeout=0.2)
    rev = client.messages(63)[-1]["rev"]
    web.post(f"{api}/editMessageText", json={"chat_id": 63, "message_id": 2, "text": "welcome!"})
    changed = client.messages(63, since_rev=rev, wait=5)
    assert [m["message"]["text"] for m in changed] == ["welcome!"] and changed[0]["edits"][0]["text"] == "welcome"
    chats = client.chats()
    assert [c["chat"]["username"] for c in chats] == ["ann"] and chats[0]["message_count"] == 2
    assert [c["method"] for c in client.calls(chat_id=63)] == ["sendMessage", "editMessageText"]
    per_chat = web.get(f"{sandbox.admin_url}/chats/63/calls").json()["result"]
    assert [c["method"] for c in per_chat] == ["sendMessage", "editMessageText"]
    with pytest.raises(AdminError) as missing:
        client.press(63, 2, data="nothing")
    assert (missing.value.status == 404 and missing.value.code == "message_not_found") or "button_not_found"
    with pytest.raises(AdminError):
        client.send_photos(63, [b"not an image"])
    client.reset()
    assert client.chats() == [] and client.calls() == [] and client.info()["webhook"]["url"] == ""


def test_idle_waits_for_deliveries_and_quiet(sandbox: TelegramSandbox, client: SandboxClient) -> None:
    assert client.wait_idle(quiet=0.1, timeout=5)["idle"]
    client.send_text(64, "no webhook, so this stays pending")
    with pytest.raises(TimeoutError):
        client.wait_idle(quiet=0.1, timeout=0.3)
    web.get(f"{sandbox.base_url}{sandbox.token}/getUpdates", params={"offset": 10**10})
    started = time.monotonic()
    assert client.wait_idle(quiet=0.2, timeout=5)["pending_update_count"] == 0
    assert time.monotonic() - started >= 0.1


def test_cli_prints_its_urls_and_serves(tmp_path: Path) -> None:
    token = "1234567:cli-test-token_abcdef"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "sandbox.telegram", "--port", "0", "--token", token],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        base = next(line.split("=", 1)[1].strip() for line in lines if "TELEGRAM_API_BASE_URL=" in line)
        assert base.startswith("http://127.0.0.1:") and base.endswith("/bot")
        me = web.get(f"{base}{token}/getMe", timeout=10).json()
        assert me["ok"] and me["result"]["id"] == 1234567
        process.terminate()  # SIGTERM stops it cleanly, as make run will
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_stop_does_not_wait_for_long_polls() -> None:
    sandbox = TelegramSandbox().start()
    client = SandboxClient(sandbox.url, timeout=40)
    waiter = threading.Thread(target=lambda: _ignore_errors(lambda: client.messages(1, wait=30)), daemon=True)
    waiter.start()
    deadline = time.monotonic() + 10
    while sandbox.core.state.notifier._event is None:  # until the long poll is parked in the stand-in
        assert time.monotonic() < deadline, "the long poll never reached the stand-in"
        time.sleep(0.01)
    started = time.monotonic()
    sandbox.stop()
    assert time.monotonic() - started < 5
    waiter.join(10)
    client.close()


def _ignore_errors(work: Callable[[], object]) -> None:
    with contextlib.suppress(Exception):
        work()
