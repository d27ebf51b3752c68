"""A function's init phase: its entry module imports (and warms) inside `init_phase()`.

What an init makes, some 100,000 modules, classes and functions, lives as long as the worker. CPython's
cyclic collector still walks those objects: again and again while the imports make them (a tenth to a
fifth of a processor's import CPU), and then in every full collection of every invocation (about 60 ms
each in `fal_process_generation`). So the collector pauses while the init runs, and `gc.freeze()` at its
end moves all of it out of the collector's sight for good. It applies the same way on AWS Lambda.
Figures: `python -m bench.cold_start` and this layer's README.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def init_phase() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # also after a failed init: the runtime reports it, and the worker does not serve
        if was_enabled:
            gc.enable()
