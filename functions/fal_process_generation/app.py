"""Event invocation: store the generated images (or refund a failed generation) and send them."""

from aisha.init_phase import init_phase

with init_phase():
    from aisha.handlers.fal_process import process_handler as handler

__all__ = ["handler"]
