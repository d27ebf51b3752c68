"""Run as a script in its own interpreter (see sam-translator.txt): SAM template on stdin -> CloudFormation.

argv[1] is a JSON object of parameter values. Exit 1 with the translator's errors on stderr.
"""

from __future__ import annotations

import json
import sys
from typing import Any


class _NoManagedPolicies:
    """The template names its managed policies by ARN; the translator asks IAM only for policy names."""

    def load(self) -> dict[str, str]:
        return {}


def main() -> int:
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform

    template: dict[str, Any] = json.load(sys.stdin)
    try:
        out = transform(template, json.loads(sys.argv[1]), _NoManagedPolicies())
    except InvalidDocumentException as exc:
        print("\n".join(str(cause) for cause in exc.causes), file=sys.stderr)
        return 1
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
