"""CLI: python -m infra.devservices up|down|status|env"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infra.devservices.orchestrate import ENV_FILE, down, read_env_file, state_dir, status, up

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.devservices", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status", "env"])
    parser.add_argument("--no-migrate", action="store_true", help="up: skip applying migrations")
    args = parser.parse_args(argv)

    if args.command == "up":
        result = up(ROOT, migrate=not args.no_migrate)
        for name in result.started_here:
            print(f"running  {name}")
        for name in result.external:
            print(f"external {name}")
        for key, value in sorted(result.env.items()):
            if "SECRET" not in key:
                print(f"  {key}={value}")
        print(f"settings written to {state_dir(ROOT) / ENV_FILE}")
    elif args.command == "down":
        stopped = down(ROOT)
        print("stopped " + (", ".join(stopped) if stopped else "nothing (nothing was running)"))
    elif args.command == "status":
        down_count = 0
        for name, port in status(ROOT).items():
            print(f"{name:9} {'port ' + str(port) if port else 'not running'}")
            down_count += port is None
        return 1 if down_count else 0
    else:
        for key, value in sorted(read_env_file(ROOT).items()):
            print(f"{key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
