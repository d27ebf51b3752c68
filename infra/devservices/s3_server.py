"""The S3 endpoint for development and tests: moto's S3 in server mode, standing in for MinIO.

moto accepts presigned URLs long after they expire; S3 and MinIO answer 403 "Request has expired".
The one WSGI middleware here restores that rule so that expiry is tested against the same answer
production gives. Run: `python -m infra.devservices.s3_server --port N`.
"""

from __future__ import annotations

import argparse
import time
from calendar import timegm
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_EXPIRED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)


def presigned_expired(query_string: str, now: float) -> bool:
    query = parse_qs(query_string)
    if "X-Amz-Date" in query and "X-Amz-Expires" in query:  # SigV4
        try:
            signed_at = timegm(time.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ"))
            return now > signed_at + int(query["X-Amz-Expires"][0])
        except ValueError:
            return True
    if "Expires" in query and "Signature" in query:  # SigV2
        try:
            return now > int(query["Expires"][0])
        except ValueError:
            return True
    return False


def enforce_expiry(app: WsgiApp, clock: Callable[[], float] = time.time) -> WsgiApp:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if presigned_expired(environ.get("QUERY_STRING", ""), clock()):
            start_response("403 Forbidden", [("Content-Type", "application/xml"),
                                             ("Content-Length", str(len(_EXPIRED)))])
            return [_EXPIRED]
        return app(environ, start_response)

    return wrapped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = enforce_expiry(DomainDispatcherApplication(create_backend_app))
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    server.serve_forever()


if __name__ == "__main__":
    main()
