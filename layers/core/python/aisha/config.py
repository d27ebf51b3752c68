"""Settings, read once from an injectable environment.

Every variable the core layer reads is a field here; its environment name is the field name in
upper case. The README lists them all with their defaults.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, ValidationInfo, field_validator

from aisha.errors import ConfigError


class Settings(BaseModel):
    # a plain model, not pydantic-settings: load_settings reads the (injected) environment itself, and
    # pydantic-settings would cost every function ~80 more modules at start for nothing it uses
    model_config = ConfigDict(extra="ignore", frozen=True, validate_default=True)

    # services
    database_url: str
    redis_url: str
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_bucket_photos: str = "aisha-photos"
    s3_bucket_loras: str = "aisha-loras"
    s3_bucket_images: str = "aisha-images"
    presign_ttl_seconds: int = Field(default=3600, ge=1, le=7 * 24 * 3600)
    db_pool_min_size: int = Field(default=1, ge=0)
    db_pool_max_size: int = Field(default=4, ge=1)
    service_timeout_seconds: float = Field(default=5.0, gt=0)

    # prices, in coins
    price_training: int = Field(default=150, ge=0)
    price_image: int = Field(default=5, ge=0)
    topup_packages: str = "250,500,1000"
    topup_stars_prices: str = "50,90,160"  # Telegram Stars per package, in the order of TOPUP_PACKAGES
    welcome_bonus: int = Field(default=0, ge=0)

    # FAL
    fal_key: SecretStr | None = None
    fal_jwks_url: str = "https://rest.fal.ai/.well-known/jwks.json"
    fal_jwks_min_refresh_seconds: float = Field(default=60.0, ge=0)
    public_base_url: str | None = None
    fal_text_to_image_model: str = "fal-ai/flux-lora"
    reconcile_after_seconds: int = Field(default=900, ge=10)
    park_unmatched_after_seconds: int = Field(default=3600, ge=10)

    # Lambda: where Event invocations go (the runner's Invoke API on-prem, AWS when unset)
    lambda_endpoint_url: str | None = None
    function_name_prefix: str = ""

    # Telegram
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"

    conversation_ttl_seconds: int = Field(default=1800, ge=10)
    rate_limit_messages_per_minute: int = Field(default=30, ge=1)
    rate_limit_paid_actions_per_minute: int = Field(default=5, ge=1)
    max_prompt_length: int = Field(default=1000, ge=10, le=2000)

    log_level: str = "INFO"

    # FAL result processing: our own retry schedule (FAL keeps result files for days), then a refund
    fal_retry_max_attempts: int = Field(default=10, ge=1, le=100)  # processing tries before the work fails
    fal_retry_base_seconds: int = Field(default=60, ge=1)  # the wait after the first failed try; doubles
    fal_retry_max_delay_seconds: int = Field(default=3600, ge=1)  # the longest wait between two tries
    fal_hand_on_lease_seconds: int = Field(default=600, ge=10)  # a handed-on delivery is not handed on again

    # Telegram flood control: how long a flow's Bot API calls (an outbox message's) may wait out 429s
    telegram_flood_wait_seconds: float = Field(default=10.0, ge=0, le=60)

    # the outbox: a sender's claim on a message (longer than any send, flood waits included: a lapsed claim
    # means its sender died, and the message goes again), and how old an unsent message is before the sweep
    outbox_claim_seconds: int = Field(default=300, ge=5)
    outbox_resend_after_seconds: int = Field(default=60, ge=0)

    # support: how users reach a person (/paysupport, /terms, "contact support"); unset, the bot names
    # "the bot's administrator" (catalogue key support_contact_default)
    support_contact: str | None = Field(default=None, max_length=200)

    # the webhook journal's retention (the journal_retention function): open work is never deleted
    journal_retention_days: int = Field(default=30, ge=2)  # processed deliveries; >= FAL's and Telegram's retries
    journal_rejected_retention_days: int = Field(default=7, ge=1)  # refused deliveries

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis:// URL")
        return value

    @field_validator("s3_endpoint_url", "public_base_url", "fal_jwks_url", "telegram_api_base_url",
                     "lambda_endpoint_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/") if value and not value.endswith("/bot") else value

    @field_validator("topup_packages", "topup_stars_prices")
    @classmethod
    def _packages(cls, value: str) -> str:
        try:
            amounts = [int(part) for part in value.split(",")]
        except ValueError:
            raise ValueError("must be a comma-separated list of positive integers") from None
        if not amounts or any(amount <= 0 for amount in amounts):
            raise ValueError("must be a comma-separated list of positive integers")
        return value

    @field_validator("topup_stars_prices")
    @classmethod
    def _one_price_per_package(cls, value: str, info: ValidationInfo) -> str:
        packages = info.data.get("topup_packages")
        if packages and len(packages.split(",")) != len(value.split(",")):
            raise ValueError("must name one price per package of TOPUP_PACKAGES")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

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


def env_name(field: str) -> str:
    return field.upper()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from `environ` (default: the process environment).

    Raises ConfigError naming every missing or malformed variable.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for field in Settings.model_fields:
        raw = environ.get(env_name(field))
        if raw is not None and raw != "":
            values[field] = raw
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems: list[str] = []
        names: list[str] = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            name = env_name(field)
            names.append(name)
            if error["type"] == "missing":
                problems.append(f"{name} is required but not set")
            else:
                problems.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
        raise ConfigError("configuration error: " + "; ".join(problems), variables=names) from None
