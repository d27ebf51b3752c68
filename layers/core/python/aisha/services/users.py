"""Users: registered on first contact, with the welcome bonus credited once."""

from __future__ import annotations

from aisha.db import Connection
from aisha.errors import NotFound
from aisha.models import Language, LedgerKind, User
from aisha.services import ledger

_COLUMNS = "id, username, first_name, last_name, language, created_at, welcomed_at"
# Telegram's language_code (an IETF tag: "ru", "uk", "pt-br") -> the catalogue: Russian for the languages
# whose speakers mostly read Russian, English for everyone else (and when Telegram sends none)
RUSSIAN_READERS = frozenset({"ru", "uk", "be", "kk"})


def language_for(language_code: str | None) -> Language:
    primary = (language_code or "").strip().lower().replace("_", "-").split("-")[0]
    return Language.RU if primary in RUSSIAN_READERS else Language.EN


def get_user(conn: Connection, user_id: int) -> User:
    row = conn.execute(f"SELECT {_COLUMNS} FROM users WHERE id = %s", (user_id,)).fetchone()
    if row is None:
        raise NotFound(f"user {user_id} is not registered", code="user_not_found")
    return User.from_row(row)


def register(
    conn: Connection,
    user_id: int,
    *,
    first_name: str = "",
    username: str | None = None,
    last_name: str | None = None,
    language: Language = Language.RU,
    welcome_bonus: int = 0,
) -> tuple[User, bool]:
    """Create the user if new (returns created=True); refresh names if known."""
    row = conn.execute(
        f"""
        INSERT INTO users (id, username, first_name, last_name, language)
        VALUES (%s, %s, %s, %s, %s)
        ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username,
            first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, updated_at = now()
        RETURNING {_COLUMNS}, (xmax = 0) AS created
        """,
        (user_id, username, first_name, last_name, language.value),
    ).fetchone()
    assert row is not None
    created = bool(row.pop("created"))
    if created and welcome_bonus > 0:
        ledger.credit(conn, user_id, welcome_bonus, LedgerKind.BONUS, reason="welcome bonus",
                      idempotency_key=f"welcome:{user_id}")
    return User.from_row(row), created


def mark_welcomed(conn: Connection, user_id: int) -> None:
    conn.execute("UPDATE users SET welcomed_at = now() WHERE id = %s AND welcomed_at IS NULL", (user_id,))


def set_language(conn: Connection, user_id: int, language: Language) -> None:
    updated = conn.execute(
        "UPDATE users SET language = %s, updated_at = now() WHERE id = %s", (language.value, user_id)
    ).rowcount
    if not updated:
        raise NotFound(f"user {user_id} is not registered", code="user_not_found")
