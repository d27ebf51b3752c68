"""Fixtures for the operations tools against the real servers: the core layer's pool on the test database
and its user factory (one id sequence per process, so ops and core tests never register the same id)."""

from __future__ import annotations

from tests.integration.core.conftest import db, make_user  # noqa: F401
