"""Event invocation: store the trained LoRA (or refund a failed training) and tell the user."""

from aisha.handlers.fal_process import process_handler as handler

__all__ = ["handler"]
