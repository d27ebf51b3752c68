"""When a FAL delivery is tried again, and text from upstream made safe to store.

FAL keeps result files for days, so a delivery whose processing fails (file server down, S3 down, a
bug) is tried again on our own schedule, doubling the wait from `FAL_RETRY_BASE_SECONDS` up to
`FAL_RETRY_MAX_DELAY_SECONDS`, `FAL_RETRY_MAX_ATTEMPTS` times in all (with the defaults: 10 tries
over about four hours). The reconciler hands a delivery on when its wait is over. A failure that
says trying again cannot help (`UpstreamError.retryable` false) ends the work at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from aisha.config import Settings
from aisha.errors import UpstreamError

GAVE_UP = "gave_up"  # the journal's error code of a delivery whose work failed for good
MAX_TEXT = 2000


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 10
    base_seconds: int = 60
    max_delay_seconds: int = 3600
    lease_seconds: int = 600  # how long a handed-on delivery is left to its invocation

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(settings.fal_retry_max_attempts, settings.fal_retry_base_seconds,
                   settings.fal_retry_max_delay_seconds, settings.fal_hand_on_lease_seconds)

    def delay(self, attempts: int) -> int:
        """Seconds to wait after the `attempts`-th failed try."""
        return min(self.max_delay_seconds, self.base_seconds * 2 ** min(max(attempts - 1, 0), 30))

    def gives_up(self, attempts: int, exc: BaseException) -> bool:
        permanent = isinstance(exc, UpstreamError) and not exc.retryable
        return permanent or attempts >= self.max_attempts


def safe_text(value: object, limit: int = MAX_TEXT) -> str:
    """`value` as text PostgreSQL accepts whatever it holds: no NUL, no lone surrogate, bounded."""
    text = str(value).replace("\x00", "\ufffd")
    return text.encode("utf-8", "replace").decode("utf-8")[:limit]


def error_code(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    return code if isinstance(code, str) and code else "processing_error"
