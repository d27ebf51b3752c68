"""A test signing key for FAL webhooks, its JWKS served over HTTP, and deliveries signed as FAL signs them."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

USER_ID = "fal-user-7c1f"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()  # JWKS `x` is unpadded base64url


class FalKeys:
    """An Ed25519 key whose public half is served as `/.well-known/jwks.json` on a loopback port."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        public = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        document = json.dumps({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": _b64url(public),
                                         "kid": "functional-test", "use": "sig"}]}).encode()

        class Jwks(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200 if self.path == "/.well-known/jwks.json" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(document)))
                self.end_headers()
                self.wfile.write(document)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def jwks_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/.well-known/jwks.json"

    def start(self) -> FalKeys:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def headers(self, request_id: str, body: bytes, *, timestamp: int | None = None,
                key: Ed25519PrivateKey | None = None) -> dict[str, str]:
        """FAL's four headers: the signature covers request id, user id, timestamp and sha256(body)."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        message = "\n".join([request_id, USER_ID, stamp, hashlib.sha256(body).hexdigest()]).encode()
        signature = (key or self.key).sign(message).hex()
        return {"X-Fal-Webhook-Request-Id": request_id, "X-Fal-Webhook-User-Id": USER_ID,
                "X-Fal-Webhook-Timestamp": stamp, "X-Fal-Webhook-Signature": signature,
                "Content-Type": "application/json"}
