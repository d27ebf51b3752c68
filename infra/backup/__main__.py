"""Entry of `python -m infra.backup`."""

import sys

from infra.backup.cli import main

sys.exit(main())
