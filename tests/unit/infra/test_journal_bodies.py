"""The journal tools read any body the journal holds: a refused one may be anything, nested thousands deep."""

from __future__ import annotations

from infra.journal.queries import parse_body


def test_a_body_that_is_not_json_or_is_nested_too_deep_reads_as_nothing() -> None:
    assert parse_body(b'{"update_id": 1}') == {"update_id": 1}
    for body in (b"[" * 4096, b'{"a":' * 819, b"\xff\xfe", b"not json"):
        assert parse_body(body) is None
