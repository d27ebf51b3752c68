"""Entry point of a worker process (runs under `python -I -S`, stdlib only until awslambdaric loads).

As Lambda's bootstrap: sys.path = LAMBDA_TASK_ROOT, then PYTHONPATH (each layer's python folders, then
the runtime dir holding awslambdaric), then the standard library. Nothing from the runner's virtualenv.
"""

import os
import sys


def die_with_parent() -> None:
    """A worker must not outlive its runner (even one killed with SIGKILL): PR_SET_PDEATHSIG."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG = 1, SIGKILL = 9
    except (OSError, AttributeError):
        pass


def main() -> None:
    die_with_parent()
    root = os.environ["LAMBDA_TASK_ROOT"]
    extra = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:0] = [root, *extra]
    os.chdir(root)
    from awslambdaric.__main__ import main as ric_main

    ric_main([sys.argv[0], os.environ["_HANDLER"]])


if __name__ == "__main__":
    main()
