"""Route matching: literal beats parameter beats greedy proxy; exact method beats ANY."""

from __future__ import annotations

from local_runner.manifest import Route
from local_runner.routes import RouteMatcher


def matcher() -> RouteMatcher:
    return RouteMatcher([
        ("items", Route("GET", "/items/{item_id}")),
        ("special", Route("GET", "/items/special")),
        ("proxy", Route("ANY", "/items/{proxy+}")),
        ("post", Route("POST", "/items/{item_id}")),
        ("root", Route("GET", "/")),
    ])


def test_specificity_and_params() -> None:
    m = matcher()
    hit = m.match("GET", "/items/42")
    assert hit is not None and hit.function == "items" and hit.path_parameters == {"item_id": "42"}
    assert m.match("GET", "/items/special").function == "special"  # type: ignore[union-attr]
    assert m.match("POST", "/items/7").function == "post"  # type: ignore[union-attr]
    greedy = m.match("DELETE", "/items/a/b/c")
    assert greedy is not None and greedy.function == "proxy" and greedy.path_parameters == {"proxy": "a/b/c"}
    assert m.match("GET", "/").function == "root"  # type: ignore[union-attr]


def test_percent_decoding_and_misses() -> None:
    m = matcher()
    assert m.match("GET", "/items/a%20b").path_parameters == {"item_id": "a b"}  # type: ignore[union-attr]
    assert m.match("GET", "/nothing") is None
    assert m.match("PUT", "/") is None
