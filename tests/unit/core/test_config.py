from __future__ import annotations

import pytest
from aisha.config import Settings, load_settings
from aisha.errors import ConfigError

BASE = {"DATABASE_URL": "postgresql://u@127.0.0.1:5432/aisha", "REDIS_URL": "redis://127.0.0.1:6379/0"}


def test_missing_variables_are_named() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({})
    assert caught.value.variables == ["DATABASE_URL", "REDIS_URL"]
    assert "DATABASE_URL is required but not set" in str(caught.value)
    assert "REDIS_URL is required but not set" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://localhost/x"),
        ("REDIS_URL", "localhost:6379"),
        ("S3_ENDPOINT_URL", "minio:9000"),
        ("PRICE_IMAGE", "five"),
        ("PRICE_TRAINING", "-1"),
        ("TOPUP_PACKAGES", "250,lots"),
        ("PRESIGN_TTL_SECONDS", "0"),
        ("LOG_LEVEL", "LOUD"),
        ("TOPUP_STARS_PRICES", "50,90"),
    ],
)
def test_a_malformed_variable_is_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**BASE, name: value})
    assert caught.value.variables == [name]
    assert str(caught.value).startswith(f"configuration error: {name}: ")


def test_defaults_and_parsing() -> None:
    settings = load_settings({**BASE, "S3_ENDPOINT_URL": "http://127.0.0.1:9000/", "TOPUP_PACKAGES": "100,300",
                                        "TOPUP_STARS_PRICES": "20,55"})
    assert isinstance(settings, Settings)
    assert settings.s3_endpoint_url == "http://127.0.0.1:9000"
    assert settings.price_training == 150 and settings.price_image == 5
    assert settings.topup_amounts == [100, 300]
    assert settings.topup_offers == [(100, 20), (300, 55)]
    assert settings.fal_jwks_url == "https://rest.fal.ai/.well-known/jwks.json"
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"


def test_the_environment_is_injected_not_read_behind_our_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRICE_IMAGE", "999")
    assert load_settings(BASE).price_image == 5


def test_secret_values_are_known_and_hidden_in_repr() -> None:
    settings = load_settings({**BASE, "FAL_KEY": "fal-secret-key", "TELEGRAM_BOT_TOKEN": "123:abc"})
    assert set(settings.secret_values()) == {"fal-secret-key", "123:abc"}
    assert "fal-secret-key" not in repr(settings)


def test_every_problem_is_named_at_once_with_the_text_that_was_given() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"DATABASE_URL": "mysql://x", "PRICE_IMAGE": "five", "SUPPORT_CONTACT": "x" * 300})
    assert caught.value.variables == ["DATABASE_URL", "REDIS_URL", "PRICE_IMAGE", "SUPPORT_CONTACT"]
    message = str(caught.value)
    assert "PRICE_IMAGE: Expected `int`, got 'five'" in message
    assert "SUPPORT_CONTACT: Expected `str` of length <= 200, got 'xxx" in message and "x" * 41 not in message


def test_secrets_and_floats_are_read_and_prices_counted_against_packages() -> None:
    settings = load_settings({**BASE, "TELEGRAM_WEBHOOK_SECRET": "s3cr3t", "SERVICE_TIMEOUT_SECONDS": "2.5"})
    assert settings.telegram_webhook_secret is not None
    assert settings.telegram_webhook_secret.get_secret_value() == "s3cr3t"
    assert settings.service_timeout_seconds == 2.5
    with pytest.raises(ConfigError) as caught:
        load_settings({**BASE, "TOPUP_PACKAGES": "1,2", "TOPUP_STARS_PRICES": "3"})
    assert caught.value.variables == ["TOPUP_STARS_PRICES"]
