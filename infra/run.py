"""`make run`: bring the local services up and say what is running."""

from __future__ import annotations

import sys
from pathlib import Path

from infra.devservices import up

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    result = up(ROOT)
    print("Aisha local services are up:")
    for key, value in sorted(result.env.items()):
        if "SECRET" not in key:
            print(f"  {key}={value}")
    print("Settings: .local/services.env   Stop: make stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
