"""The Russian catalogue: one module per flow (each with a TEXTS dict), merged here."""

import importlib
import pkgutil

TEXTS: dict[str, str] = {}
for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    TEXTS.update(importlib.import_module(f"{__name__}.{_module}").TEXTS)
