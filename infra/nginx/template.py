"""Render the nginx configuration from the template: every deployment difference is a parameter."""

from __future__ import annotations

import grp
import os
import pwd
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
DEFAULT_UPSTREAMS = ("127.0.0.1:8001", "127.0.0.1:8002")
LOOPBACK = ("127.0.0.1", "::1")
# A route's requests in flight per runner instance by default (2-core hosts): enough to keep its workers
# busy, few enough that the runners' queues stay short and never start inits for them under saturation.
# Measured at twice the capacity (bench/soak_bench.py, two instances on one 2-core host): 16 each kept the
# whole capacity as goodput; 24 and 32 each let the runners' queues outgrow their wait (throttles, inits)
# and kept about 0.88 and 0.5 of it. A burst of 32 into one route of two instances is admitted whole;
# Telegram's 33rd to 40th connections at once are refused, and Telegram delivers those again.
INFLIGHT_PER_INSTANCE = 16
# The public routes, each with its own in-flight count: a flood of one never refuses another.
ROUTE_KEYS = (("/webhook/fal/status", "fal_status"), ("/webhook/fal/portrait", "fal_portrait"),
              ("/webhook/telegram", "telegram"), ("/health", "health"))
INTERNAL_PREFIXES = ("/_runner/", "/2015-03-31/functions/", "/metrics")  # operators' and internal: not limited
# Telegram's published webhook source ranges (core.telegram.org/bots/webhooks): for `telegram_allow`.
TELEGRAM_RANGES = ("149.154.160.0/20", "91.108.4.0/22")


class NginxConfigError(ValueError):
    """A parameter of the nginx configuration is invalid."""


@dataclass(frozen=True)
class NginxSettings:
    prefix: Path  # pid, logs/ and temp/ live here
    listen: str = "127.0.0.1:8080"  # address:port or port
    upstreams: Sequence[str] = DEFAULT_UPSTREAMS
    max_fails: int = 2
    fail_timeout: str = "10s"
    max_body: str = "6m"  # Lambda's synchronous payload limit (the runner refuses more with 413 too)
    connect_timeout: str = "2s"
    read_timeout: str = "31s"  # API Gateway's 29 s + margin: the runner's own 504 arrives first
    worker_processes: str = "auto"
    # Idle connections each nginx worker keeps open to the runners (HTTP/1.1, `Connection ""`): no connect per
    # request. Drains stay clean because a draining runner answers with `Connection: close` and does not close
    # an idle connection itself before nginx has dropped it (`upstream_keepalive_timeout`, shorter than the
    # runner's 3 s grace); a request on a cached connection that still fails is retried by nginx itself.
    # 0: a new loopback connection per request.
    upstream_keepalive: int = 32
    upstream_keepalive_timeout: str = "2s"
    # Who may reach /_runner/ and the Invoke API (CIDRs); loopback always may.
    internal_allow: Sequence[str] = ()
    # Source ranges allowed on /webhook/telegram besides loopback; empty (the default): anyone (the secret
    # token is checked anyway). Telegram's own are TELEGRAM_RANGES (`--telegram-only`).
    telegram_allow: Sequence[str] = field(default=())
    # Requests per client address on the webhook locations: nginx's limit_req rate ("50r/s", "600r/m"),
    # the burst answered at once above it, the rest 429 JSON. None: no limit. The default leaves room for
    # Telegram's 40 connections and FAL's retries from one address; behind another proxy the client address
    # is that proxy's, so set it for the whole of that proxy's traffic, or None.
    webhook_rate: str | None = "50r/s"
    webhook_burst: int = 100
    # Client addresses the rate limit never applies to: this host's own callers (the local stand-ins, the
    # benchmarks and the chaos suite, a monitoring probe). A TLS terminator on this host in front of nginx
    # would make every client loopback: then set () and a rate for all of its traffic.
    rate_exempt: Sequence[str] = LOOPBACK
    # Requests one public route (each webhook, /health, everything else) may have inside the runners at once,
    # all instances together; the next is answered 429 `TooManyRequests` by nginx itself, in microseconds.
    # Past capacity the runners' own refusals cost them as much CPU as a small invocation, so shedding there
    # took CPU from the answers (bench/soak_bench.py: at twice the capacity, goodput was 0.5-0.7 of it
    # without the limit, all of it with). None: INFLIGHT_PER_INSTANCE per upstream; 0: no limit.
    route_inflight: int | None = None
    # TLS on this listener (DESIGN: nginx terminates TLS): certificate chain and key files (PEM).
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # With TLS: a plain-HTTP listener (e.g. "80") that only redirects to HTTPS on this same listener.
    redirect_listen: str | None = None
    # The host's public name: the TLS server's name and the redirect's target (a Host header a client
    # made up is then never echoed into a Location). None: any name, and the redirect keeps the request's.
    server_name: str | None = None
    # None: `user` only when nginx runs as root, naming the current user so the workers can use the
    # project-local temp folders. A string forces that user directive value.
    user: str | None = None


def _user_line(user: str | None) -> str:
    if user is not None:
        return f"user {user};"
    if os.geteuid() != 0:
        return "# no user directive: nginx runs as the unprivileged user that starts it"
    name = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(os.getegid()).gr_name
    return f"user {name} {group};"


# Mozilla's "intermediate" TLS 1.2 list: forward-secret AEAD suites only (no CBC, no RSA key exchange).
# TLS 1.3 suites are not configured by ssl_ciphers (OpenSSL's defaults are all AEAD).
TLS12_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                 "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")
HSTS = "max-age=63072000"  # two years; no includeSubDomains: other names of the domain are not ours to bind


def _tls_lines(settings: NginxSettings) -> str:
    if settings.tls_cert is None or settings.tls_key is None:
        return "        # plain HTTP: TLS is terminated in front of this nginx"
    return "\n".join([
        f"        ssl_certificate {settings.tls_cert.resolve()};",
        f"        ssl_certificate_key {settings.tls_key.resolve()};",
        "        ssl_protocols TLSv1.2 TLSv1.3;",
        f"        ssl_ciphers {TLS12_CIPHERS};",
        "        ssl_prefer_server_ciphers off;",
        "        ssl_session_cache shared:tls:10m;",
        "        ssl_session_timeout 1h;",
        "        ssl_session_tickets off;",
        f'        add_header Strict-Transport-Security "{HSTS}" always;',
    ])


def _https_port(listen: str) -> int:
    return int(listen.rpartition(":")[2])


def _redirect_server(settings: NginxSettings) -> str:
    """Port 80's only job: send the client to HTTPS on this host and this nginx's TLS port, nowhere else."""
    if settings.redirect_listen is None:
        return "    # no plain-HTTP redirect listener"
    port = _https_port(settings.listen)
    target = f"https://{settings.server_name or '$host'}{'' if port == 443 else f':{port}'}$request_uri"
    return "\n".join([
        "    server {",
        f"        listen {settings.redirect_listen};",
        f"        server_name {settings.server_name or '_'};",
        f"        return 301 {target};",
        "    }",
        "",
    ])


def _check(settings: NginxSettings) -> None:
    if not settings.upstreams:
        raise NginxConfigError("at least one upstream runner instance is needed")
    token = re.compile(r"^[\w.:\[\]/-]+$")
    if settings.user is not None and not re.match(r"^[a-z_][a-z0-9_-]*( [a-z_][a-z0-9_-]*)?$", settings.user):
        raise NginxConfigError(f"invalid user {settings.user!r}")
    for value in (settings.listen, *settings.upstreams, *settings.internal_allow, *settings.telegram_allow,
                  *settings.rate_exempt,
                  settings.fail_timeout, settings.max_body, settings.connect_timeout, settings.read_timeout,
                  settings.upstream_keepalive_timeout):
        if not token.match(value):
            raise NginxConfigError(f"invalid value {value!r}")
    if (settings.tls_cert is None) != (settings.tls_key is None):
        raise NginxConfigError("give both tls_cert and tls_key, or neither")
    redirect = settings.redirect_listen
    if redirect is not None and (settings.tls_cert is None or not token.match(redirect)):
        raise NginxConfigError("redirect_listen needs TLS on listen, and an address:port or port")
    if settings.server_name is not None and not re.match(r"^[A-Za-z0-9.-]+$", settings.server_name):
        raise NginxConfigError(f"invalid server_name {settings.server_name!r}")
    for path in (settings.tls_cert, settings.tls_key):
        if path is not None and not token.match(str(path)):
            raise NginxConfigError(f"invalid path {path}")
    if settings.max_fails < 0 or settings.upstream_keepalive < 0:
        raise NginxConfigError("max_fails and upstream_keepalive must be >= 0")
    if settings.webhook_rate is not None and not re.match(r"^[1-9][0-9]*r/[sm]$", settings.webhook_rate):
        raise NginxConfigError(f"invalid webhook_rate {settings.webhook_rate!r} (e.g. 50r/s or 600r/m)")
    if settings.route_inflight is not None and settings.route_inflight < 0:
        raise NginxConfigError("route_inflight must be >= 0 (0: no limit)")
    if settings.webhook_burst < 0:
        raise NginxConfigError("webhook_burst must be >= 0")


def _rate_zone(settings: NginxSettings) -> str:
    """limit_req's zone, keyed on the client address; an exempt client has an empty key, which nginx skips."""
    if not settings.webhook_rate:
        return "    # no request rate limit on the webhooks"
    return "\n".join([
        "    geo $rate_exempt {",
        "        default 0;",
        *(f"        {address} 1;" for address in settings.rate_exempt),
        "    }",
        "    map $rate_exempt $rate_key {",
        "        0 $binary_remote_addr;",
        '        1 "";',
        "    }",
        f"    limit_req_zone $rate_key zone=webhooks:10m rate={settings.webhook_rate};",
        "    limit_req_status 429;",
        "    limit_req_log_level warn;",
    ])


def route_inflight(settings: NginxSettings) -> int:
    if settings.route_inflight is None:
        return INFLIGHT_PER_INSTANCE * len(settings.upstreams)
    return settings.route_inflight


def _inflight_zone(settings: NginxSettings) -> str:
    """limit_conn's zone, keyed on the route; an empty key (the internal prefixes) is never counted."""
    if not route_inflight(settings):
        return "    # no limit on requests in flight per route"
    return "\n".join([
        "    map $uri $route_key {",
        "        default other;",
        *(f"        {uri} {key};" for uri, key in ROUTE_KEYS),
        *(f'        ~^{re.escape(prefix)} "";' for prefix in INTERNAL_PREFIXES),
        "    }",
        "    limit_conn_zone $route_key zone=inflight:1m;",
        "    limit_conn_status 429;",
        "    limit_conn_log_level info;",
    ])


def render(settings: NginxSettings, template: str | None = None) -> str:
    _check(settings)
    prefix = settings.prefix.resolve()
    allow_internal = [*LOOPBACK, *settings.internal_allow]
    values = {
        "user": _user_line(settings.user),
        "worker_processes": settings.worker_processes,
        "prefix": str(prefix),
        "listen": settings.listen + (" ssl" if settings.tls_cert else ""),
        "tls": _tls_lines(settings),
        "redirect_server": _redirect_server(settings),
        "server_name": settings.server_name or "_",
        "servers": "\n".join(f"        server {u} max_fails={settings.max_fails} fail_timeout={settings.fail_timeout};"
                             for u in settings.upstreams),
        "keepalive": (f"        keepalive {settings.upstream_keepalive};\n"
                      f"        keepalive_timeout {settings.upstream_keepalive_timeout};\n"
                      f"        keepalive_requests 10000;" if settings.upstream_keepalive
                      else "        # no upstream keepalive: a new connection per request"),
        "max_fails": str(settings.max_fails),
        "fail_timeout": settings.fail_timeout,
        "max_body": settings.max_body,
        "connect_timeout": settings.connect_timeout,
        "read_timeout": settings.read_timeout,
        "internal_allow": "\n".join(f"            allow {a};" for a in allow_internal),
        "rate_zone": _rate_zone(settings),
        "inflight_zone": _inflight_zone(settings),
        "inflight_limit": (f"        limit_conn inflight {route_inflight(settings)};" if route_inflight(settings)
                           else "        # no limit on requests in flight per route"),
        "rate_limit": (f"            limit_req zone=webhooks burst={settings.webhook_burst} nodelay;"
                       if settings.webhook_rate else "            # no request rate limit"),
        "telegram_allow": ("\n".join(f"            allow {a};" for a in [*LOOPBACK, *settings.telegram_allow])
                           + "\n            deny all;") if settings.telegram_allow else "",
    }
    text = template if template is not None else TEMPLATE.read_text()

    def fill(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise NginxConfigError(f"template parameter {match.group(1)!r} has no value")
        return values[match.group(1)]

    return _PLACEHOLDER.sub(fill, text)


def write_config(settings: NginxSettings) -> Path:
    """Render into <prefix>/nginx.conf and create the folders nginx writes to."""
    prefix = settings.prefix
    for sub in ("logs", "temp"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    path = prefix / "nginx.conf"
    path.write_text(render(settings))
    return path
