"""The Russian catalogue: one module per flow, merged here."""

from aisha.texts.ru import common, notifications

TEXTS: dict[str, str] = {}
for _part in (common, notifications):
    TEXTS.update(_part.TEXTS)
