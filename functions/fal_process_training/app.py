"""Event invocation: store the trained LoRA (or refund a failed training) and tell the user."""

from aisha.init_phase import init_phase

with init_phase():
    from aisha.handlers.fal_process import process_handler as handler

__all__ = ["handler"]
