"""`python -m infra.nginx render|test [options]`: print the rendered configuration, or check it with nginx -t.

For an on-prem host: `python -m infra.nginx render --prefix /var/lib/aisha-nginx --listen 80 --user www-data \\
    --upstream 127.0.0.1:8001 --upstream 127.0.0.1:8002 > /etc/nginx/aisha.conf`, then run nginx with
`-p /var/lib/aisha-nginx -c /etc/nginx/aisha.conf` (the file is a whole nginx.conf, not a server block).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infra.nginx.process import NginxError, NginxProcess
from infra.nginx.template import (
    DEFAULT_UPSTREAMS,
    INFLIGHT_PER_INSTANCE,
    TELEGRAM_RANGES,
    NginxConfigError,
    NginxSettings,
    render,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.nginx")
    parser.add_argument("command", choices=["render", "test"])
    parser.add_argument("--prefix", type=Path, default=Path(".local/nginx"), help="pid, logs and temp folder")
    parser.add_argument("--listen", default="127.0.0.1:8080")
    parser.add_argument("--upstream", action="append", help="host:port of a runner (repeat; default 8001, 8002)")
    parser.add_argument("--max-body", default="6m")
    parser.add_argument("--internal-allow", action="append", default=[], help="CIDR allowed on /_runner/ and "
                        "the Invoke API besides loopback (repeat)")
    parser.add_argument("--user", help="worker user (e.g. www-data; it must own --prefix). Default: the current "
                        "user when run as root, none otherwise")
    parser.add_argument("--tls-cert", type=Path, help="PEM certificate chain: TLS on --listen")
    parser.add_argument("--tls-key", type=Path, help="PEM private key")
    parser.add_argument("--redirect-listen", help="with TLS: a plain-HTTP listener (e.g. 80) that only redirects "
                        "to HTTPS on this host")
    parser.add_argument("--server-name", help="the host's public name (TLS server name, redirect target)")
    parser.add_argument("--telegram-allow", action="append", default=[], help="CIDR allowed on /webhook/telegram")
    parser.add_argument("--telegram-only", action="store_true", help="allow /webhook/telegram only from "
                        f"Telegram's published ranges ({', '.join(TELEGRAM_RANGES)}) and --telegram-allow")
    parser.add_argument("--webhook-rate", default="50r/s", help="requests per client address on the webhooks "
                        "(nginx limit_req rate, e.g. 50r/s); 'off' for no limit")
    parser.add_argument("--webhook-burst", type=int, default=100, help="requests above the rate answered at once")
    parser.add_argument("--route-inflight", type=int, help="requests one public route may have in the runners at "
                        "once, all instances together, the next refused with 429 (default: "
                        f"{INFLIGHT_PER_INSTANCE} per --upstream; 0: no limit)")
    args = parser.parse_args(argv)
    telegram_allow = [*(TELEGRAM_RANGES if args.telegram_only else ()), *args.telegram_allow]
    settings = NginxSettings(prefix=args.prefix, listen=args.listen, upstreams=args.upstream or DEFAULT_UPSTREAMS,
                             max_body=args.max_body, internal_allow=args.internal_allow,
                             telegram_allow=telegram_allow, tls_cert=args.tls_cert, tls_key=args.tls_key,
                             user=args.user, redirect_listen=args.redirect_listen, server_name=args.server_name,
                             webhook_rate=None if args.webhook_rate == "off" else args.webhook_rate,
                             webhook_burst=args.webhook_burst, route_inflight=args.route_inflight)
    try:
        if args.command == "render":
            sys.stdout.write(render(settings))
        else:
            sys.stderr.write(NginxProcess(settings).test())
    except (NginxConfigError, NginxError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
