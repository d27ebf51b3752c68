"""FAL AI: webhook verification and (in client.py) the outbound queue client."""

from aisha.fal.jwks import JwksCache, parse_jwks
from aisha.fal.signature import HEADERS, VerifiedDelivery, WebhookRejected, signed_message, verify_webhook

__all__ = [
    "HEADERS",
    "JwksCache",
    "VerifiedDelivery",
    "WebhookRejected",
    "parse_jwks",
    "signed_message",
    "verify_webhook",
]
