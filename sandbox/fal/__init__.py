"""A local stand-in for FAL AI's queue API, webhooks (signed, with a JWKS) and file server."""

from sandbox.fal.config import DEFAULT_KEY, FAL_RETRY_DELAYS, SandboxConfig
from sandbox.fal.errors import ConfigError, QueueError, SandboxError
from sandbox.fal.server import FalSandbox, build_app
from sandbox.fal.signing import KeyRing, SigningKey, public_jwk, sign_webhook, signed_message

__all__ = [
    "DEFAULT_KEY",
    "FAL_RETRY_DELAYS",
    "ConfigError",
    "FalSandbox",
    "KeyRing",
    "QueueError",
    "SandboxConfig",
    "SandboxError",
    "SigningKey",
    "build_app",
    "public_jwk",
    "sign_webhook",
    "signed_message",
]
