"""`python -m local_runner ...`: see local_runner.cli."""

import sys

from local_runner.cli import main

if __name__ == "__main__":
    sys.exit(main())
