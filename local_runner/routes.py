"""Route matching as API Gateway (REST) does it: the most specific resource wins.

Literal segments beat `{param}`, which beats a greedy `{proxy+}`; an exact method beats ANY. A path with
no resource, or a resource without that method, gets API Gateway's answer: 403 "Missing Authentication
Token" (see http_front).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from local_runner.manifest import Route


@dataclass(frozen=True)
class Match:
    function: str
    route: Route
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class _Compiled:
    function: str
    route: Route
    regex: re.Pattern[str]
    params: tuple[str, ...]
    rank: tuple[int, ...]


def _compile(function: str, route: Route) -> _Compiled:
    parts, params, rank = [], [], []
    for seg in [s for s in route.path.split("/") if s]:
        if seg.startswith("{") and seg.endswith("+}"):
            params.append(seg[1:-2])
            parts.append("(.+)")
            rank.append(0)
        elif seg.startswith("{"):
            params.append(seg[1:-1])
            parts.append("([^/]+)")
            rank.append(1)
        else:
            parts.append(re.escape(seg))
            rank.append(2)
    regex = re.compile("^/" + "/".join(parts) + "/?$") if parts else re.compile("^/$")
    return _Compiled(function, route, regex, tuple(params), (*rank, 1 if route.method != "ANY" else 0))


class RouteMatcher:
    def __init__(self, routes: Iterable[tuple[str, Route]]) -> None:
        self._routes = sorted((_compile(f, r) for f, r in routes), key=lambda c: c.rank, reverse=True)

    @classmethod
    def from_functions(cls, functions: Iterable[tuple[str, Iterable[Route]]]) -> RouteMatcher:
        return cls((name, route) for name, routes in functions for route in routes)

    def match(self, method: str, path: str) -> Match | None:
        method = method.upper()
        for c in self._routes:
            if c.route.method not in (method, "ANY"):
                continue
            m = c.regex.match(path)
            if m:
                return Match(c.function, c.route, {k: unquote(v) for k, v in zip(c.params, m.groups(), strict=True)})
        return None
