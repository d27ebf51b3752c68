"""Settings, read once from an injectable environment.

Every variable the core layer reads is a field here; its environment name is the field name in
upper case. The README lists them all with their defaults.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from aisha.errors import ConfigError


class Secret:
    """A value kept out of reprs and logs (pydantic's SecretStr, without pydantic): read it with
    get_secret_value()."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


TOPUP_PACKAGES = "250,500,1000"  # coins per package, the default of Settings.topup_packages


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Every setting, validated by load_settings (constructing one directly checks nothing).

    A msgspec struct, not a pydantic model: every function reads its settings at start, and pydantic's
    import alone costs about 85 ms of a cold start whose budget is 150 ms (bench/cold_start.py).
    """

    # services
    database_url: str
    redis_url: str
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_bucket_photos: str = "aisha-photos"
    s3_bucket_loras: str = "aisha-loras"
    s3_bucket_images: str = "aisha-images"
    presign_ttl_seconds: Annotated[int, Meta(ge=1, le=7 * 24 * 3600)] = 3600
    db_pool_min_size: Annotated[int, Meta(ge=0)] = 1
    db_pool_max_size: Annotated[int, Meta(ge=1)] = 4
    service_timeout_seconds: Annotated[float, Meta(gt=0)] = 5.0

    # prices, in coins
    price_training: Annotated[int, Meta(ge=0)] = 150
    price_image: Annotated[int, Meta(ge=0)] = 5
    topup_packages: str = TOPUP_PACKAGES
    topup_stars_prices: str = "50,90,160"  # Telegram Stars per package, in the order of TOPUP_PACKAGES
    welcome_bonus: Annotated[int, Meta(ge=0)] = 0

    # FAL
    fal_key: Secret | None = None
    fal_jwks_url: str = "https://rest.fal.ai/.well-known/jwks.json"
    fal_jwks_min_refresh_seconds: Annotated[float, Meta(ge=0)] = 60.0
    public_base_url: str | None = None
    fal_text_to_image_model: str = "fal-ai/flux-lora"
    reconcile_after_seconds: Annotated[int, Meta(ge=10)] = 900
    park_unmatched_after_seconds: Annotated[int, Meta(ge=10)] = 3600

    # Lambda: where Event invocations go (the runner's Invoke API on-prem, AWS when unset)
    lambda_endpoint_url: str | None = None
    function_name_prefix: str = ""

    # Telegram
    telegram_bot_token: Secret | None = None
    telegram_webhook_secret: Secret | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"

    conversation_ttl_seconds: Annotated[int, Meta(ge=10)] = 1800
    rate_limit_messages_per_minute: Annotated[int, Meta(ge=1)] = 30
    rate_limit_paid_actions_per_minute: Annotated[int, Meta(ge=1)] = 5
    max_prompt_length: Annotated[int, Meta(ge=10, le=2000)] = 1000

    log_level: str = "INFO"

    # FAL result processing: our own retry schedule (FAL keeps result files for days), then a refund
    fal_retry_max_attempts: Annotated[int, Meta(ge=1, le=100)] = 10  # processing tries before the work fails
    fal_retry_base_seconds: Annotated[int, Meta(ge=1)] = 60  # the wait after the first failed try; doubles
    fal_retry_max_delay_seconds: Annotated[int, Meta(ge=1)] = 3600  # the longest wait between two tries
    fal_hand_on_lease_seconds: Annotated[int, Meta(ge=10)] = 600  # a handed-on delivery is not handed on again

    # Telegram flood control: how long a flow's Bot API calls (an outbox message's) may wait out 429s
    telegram_flood_wait_seconds: Annotated[float, Meta(ge=0, le=60)] = 10.0

    # the outbox: a sender's claim on a message (longer than any send, flood waits included: a lapsed claim
    # means its sender died, and the message goes again), and how old an unsent message is before the sweep
    outbox_claim_seconds: Annotated[int, Meta(ge=5)] = 300
    outbox_resend_after_seconds: Annotated[int, Meta(ge=0)] = 60

    # support: how users reach a person (/paysupport, /terms, "contact support"); unset, the bot names
    # "the bot's administrator" (catalogue key support_contact_default)
    support_contact: Annotated[str, Meta(max_length=200)] | None = None

    # the webhook journal's retention (the journal_retention function): open work is never deleted
    journal_retention_days: Annotated[int, Meta(ge=2)] = 30  # processed deliveries; >= FAL's and Telegram's retries
    journal_rejected_retention_days: Annotated[int, Meta(ge=1)] = 7  # refused deliveries

    @property
    def topup_amounts(self) -> list[int]:
        return [int(part) for part in self.topup_packages.split(",")]

    @property
    def topup_offers(self) -> list[tuple[int, int]]:
        """(coins, stars) per package."""
        return list(zip(self.topup_amounts, [int(p) for p in self.topup_stars_prices.split(",")], strict=False))

    def secret_values(self) -> list[str]:
        """Values that must never appear in a log line."""
        secrets = [self.fal_key, self.telegram_bot_token, self.telegram_webhook_secret]
        return [s.get_secret_value() for s in secrets if s is not None and s.get_secret_value()]


def _postgres_url(value: str) -> str:
    if not value.startswith(("postgresql://", "postgres://")):
        raise ValueError("must be a postgresql:// URL")
    return value


def _redis_url(value: str) -> str:
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("must be a redis:// URL")
    return value


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value if value.endswith("/bot") else value.rstrip("/")


def _packages(value: str) -> str:
    try:
        amounts = [int(part) for part in value.split(",")]
    except ValueError:
        raise ValueError("must be a comma-separated list of positive integers") from None
    if not amounts or any(amount <= 0 for amount in amounts):
        raise ValueError("must be a comma-separated list of positive integers")
    return value


def _level(value: str) -> str:
    if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
    return value.upper()


# checks beyond the field's type and bounds, applied to a value set in the environment
_CHECKS: dict[str, Callable[[Any], Any]] = {
    "database_url": _postgres_url,
    "redis_url": _redis_url,
    **dict.fromkeys(("s3_endpoint_url", "public_base_url", "fal_jwks_url", "telegram_api_base_url",
                     "lambda_endpoint_url"), _http_url),
    **dict.fromkeys(("topup_packages", "topup_stars_prices"), _packages),
    "log_level": _level,
}


def env_name(field: str) -> str:
    return field.upper()


def _secret(kind: type, value: Any) -> Any:
    if kind is Secret and isinstance(value, str):
        return Secret(value)
    raise NotImplementedError


def _convert(field: msgspec.structs.FieldInfo, raw: str) -> tuple[Any, str | None]:
    """The field's value from its variable's text, or why the text is not one."""
    try:
        value = msgspec.convert(raw, field.type, strict=False, dec_hook=_secret)
        check = _CHECKS.get(field.name)
        return (check(value) if check else value), None
    except msgspec.ValidationError as exc:
        said = str(exc).split(", got ")[0]  # "Expected `int` >= 1" (a secret's text cannot fail to convert)
        return None, f"{said}, got {raw if len(raw) <= 40 else raw[:37] + '...'!r}"
    except ValueError as exc:
        return None, str(exc)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from `environ` (default: the process environment).

    Raises ConfigError naming every missing or malformed variable.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    problems: list[str] = []
    names: list[str] = []
    for field in msgspec.structs.fields(Settings):
        name = env_name(field.name)
        raw = environ.get(name)
        if raw is None or raw == "":
            if field.required:
                names.append(name)
                problems.append(f"{name} is required but not set")
            continue
        value, problem = _convert(field, raw)
        if problem is None:
            values[field.name] = value
        else:
            names.append(name)
            problems.append(f"{name}: {problem}")
    packages = values.get("topup_packages", TOPUP_PACKAGES)
    prices = values.get("topup_stars_prices")
    if prices is not None and "TOPUP_PACKAGES" not in names and len(packages.split(",")) != len(prices.split(",")):
        names.append("TOPUP_STARS_PRICES")
        problems.append("TOPUP_STARS_PRICES: must name one price per package of TOPUP_PACKAGES")
    if problems:
        raise ConfigError("configuration error: " + "; ".join(problems), variables=names)
    return Settings(**values)
