"""aiohttp's own error answers as JSON, like every other answer of the runner.

aiohttp answers by itself, in plain text, a request it cannot parse (400, 431...) and a handler that
raised (500). Those come from its connection handler (`RequestHandler.handle_error`), below any
middleware, so the runner's server makes its connections with a handler that answers them as
`{"message": <reason phrase>, "code": <phrase in CamelCase>}` instead (aiohttp still logs the error and
closes the connection).
"""

from __future__ import annotations

from http import HTTPStatus

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_server import Server


def error_body(status: int) -> dict[str, str]:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return {"message": phrase, "code": "".join(word.capitalize() for word in phrase.replace("-", " ").split())}


class _JsonErrorHandler(RequestHandler):
    def handle_error(self, request: BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        super().handle_error(request, status, exc, message)  # logs it; raises if an answer is half sent
        response = web.json_response(error_body(status), status=status)
        response.force_close()
        return response


class _JsonErrorServer(Server):
    def __call__(self) -> RequestHandler:
        return _JsonErrorHandler(self, loop=self._loop, **self._kwargs)


class JsonErrorAppRunner(web.AppRunner):
    """web.AppRunner whose connections answer aiohttp's own errors as JSON."""

    async def _make_server(self) -> Server:
        server = await super()._make_server()
        server.__class__ = _JsonErrorServer  # the same server, only its connection factory differs
        return server
