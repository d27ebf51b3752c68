"""The nginx template renders every parameter and refuses values that would inject directives."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest

from infra.nginx import NginxConfigError, NginxSettings, render
from infra.nginx import template as template_module


def test_renders_upstreams_limits_and_locations(tmp_path: Path) -> None:
    conf = render(NginxSettings(prefix=tmp_path, listen="127.0.0.1:9999", upstreams=["127.0.0.1:1", "10.0.0.2:2"],
                                max_body="1m", internal_allow=["10.0.0.0/8"], telegram_allow=["149.154.160.0/20"]))
    assert "{{" not in conf
    assert "server 127.0.0.1:1 max_fails=2 fail_timeout=10s;" in conf
    assert "server 10.0.0.2:2 max_fails=2 fail_timeout=10s;" in conf
    assert "backup" not in conf.replace("no backup", "")
    assert "listen 127.0.0.1:9999;" in conf and "client_max_body_size 1m;" in conf
    assert f"pid {tmp_path.resolve()}/nginx.pid;" in conf
    for location in ("location /webhook/fal/", "location = /webhook/telegram", "location = /health",
                     "location /_runner/", "location /2015-03-31/functions/", "location / {"):
        assert location in conf
    assert "allow 149.154.160.0/20;" in conf and "allow 10.0.0.0/8;" in conf
    assert "absolute_redirect off;" in conf and "proxy_redirect off;" in conf
    assert "proxy_next_upstream error timeout;" in conf and "http_503" not in conf  # a 503 is an answer
    assert conf.count("limit_req zone=webhooks burst=100 nodelay;") == 2  # the two webhook locations only
    assert "limit_req_zone $rate_key zone=webhooks:10m rate=50r/s;" in conf and "limit_req_status 429;" in conf
    assert "        127.0.0.1 1;\n        ::1 1;" in conf  # loopback exempt from the rate limit
    off = render(NginxSettings(prefix=tmp_path, webhook_rate=None))
    assert "limit_req" not in off and "{{" not in off
    for status in (400, 403, 404, 405, 413, 414, 429, 500, 502, 503, 504):
        assert f"error_page {status} " in conf or f" {status} /_nginx_error/" in conf
    assert conf.count("non_idempotent;") == 2  # the two webhook locations only
    assert "proxy_read_timeout 31s;" in conf
    # on by default, with nginx dropping idle connections before a draining runner's grace ends
    assert "        keepalive 32;\n        keepalive_timeout 2s;" in conf and "proxy_http_version 1.1;" in conf
    assert "        keepalive 8;" in render(NginxSettings(prefix=tmp_path, upstream_keepalive=8))
    assert "        keepalive " not in render(NginxSettings(prefix=tmp_path, upstream_keepalive=0))


def test_user_directive_only_as_root(tmp_path: Path) -> None:
    with mock.patch.object(template_module.os, "geteuid", return_value=1000):
        assert "\nuser " not in render(NginxSettings(prefix=tmp_path))
    with mock.patch.object(template_module.os, "geteuid", return_value=0):
        assert "\nuser root " in render(NginxSettings(prefix=tmp_path))
    assert "\nuser www-data;" in render(NginxSettings(prefix=tmp_path, user="www-data"))


@pytest.mark.parametrize("field", ["listen", "max_body", "fail_timeout", "webhook_rate"])
def test_injection_is_refused(tmp_path: Path, field: str) -> None:
    with pytest.raises(NginxConfigError):
        render(NginxSettings(prefix=tmp_path, **{field: "80; include /etc/passwd"}))
    with pytest.raises(NginxConfigError):
        render(NginxSettings(prefix=tmp_path, upstreams=[]))
    with pytest.raises(NginxConfigError):
        render(NginxSettings(prefix=tmp_path, user="root; evil"))

