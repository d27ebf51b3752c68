"""Event invocation: store the trained LoRA (or refund a failed training) and tell the user."""

from aisha.handlers.fal import process_handler as handler

__all__ = ["handler"]
