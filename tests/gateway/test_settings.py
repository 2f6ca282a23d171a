from __future__ import annotations

import secrets

import pytest

from infra.settings.environment import SettingsError, settings_from_env
from infra.settings.values import Registration


def test_development_generates_a_secret_once_and_keeps_it(tmp_path):
    env = {"TASKLOOM_DATA_DIR": str(tmp_path)}
    first = settings_from_env(env)
    second = settings_from_env(env)
    assert len(first.jwt_secret) >= 32
    assert first.jwt_secret == second.jwt_secret
    assert (tmp_path / "jwt_secret").stat().st_mode & 0o077 == 0
    assert first.database_url == f"sqlite://{tmp_path / 'taskloom.sqlite3'}"


@pytest.mark.parametrize("secret", [None, "short", "changeme", "x" * 31])
def test_production_refuses_a_missing_or_weak_secret(tmp_path, secret):
    env = {"TASKLOOM_DATA_DIR": str(tmp_path), "TASKLOOM_ENV": "production"}
    if secret is not None:
        env["TASKLOOM_JWT_SECRET"] = secret
    with pytest.raises(SettingsError, match="TASKLOOM_JWT_SECRET"):
        settings_from_env(env)


def test_production_with_a_strong_secret_starts_with_introspection_off(tmp_path):
    settings = settings_from_env(
        {
            "TASKLOOM_DATA_DIR": str(tmp_path),
            "TASKLOOM_ENV": "production",
            "TASKLOOM_JWT_SECRET": secrets.token_urlsafe(32),
        }
    )
    assert settings.production and not settings.introspection


@pytest.mark.parametrize(
    "secret",
    [
        "changeme" * 4,
        "a" * 40,
        "0123456789" * 4,
        "s" * 48,
        "abcdefghijklmnopqrstuvwxyz0123456789",
        "changeme-changeme-changeme-12345",
    ],
)
def test_production_refuses_a_long_but_guessable_secret(tmp_path, secret):
    env = {
        "TASKLOOM_DATA_DIR": str(tmp_path),
        "TASKLOOM_ENV": "production",
        "TASKLOOM_JWT_SECRET": secret,
    }
    with pytest.raises(SettingsError, match="TASKLOOM_JWT_SECRET"):
        settings_from_env(env)


@pytest.mark.parametrize("make", [lambda: secrets.token_urlsafe(32), lambda: secrets.token_hex(32)])
def test_production_takes_random_secrets(tmp_path, make):
    for _ in range(200):
        env = {
            "TASKLOOM_DATA_DIR": str(tmp_path),
            "TASKLOOM_ENV": "production",
            "TASKLOOM_JWT_SECRET": make(),
        }
        assert settings_from_env(env).production


def test_development_still_takes_a_weak_secret(tmp_path):
    env = {"TASKLOOM_DATA_DIR": str(tmp_path), "TASKLOOM_JWT_SECRET": "changeme" * 4}
    assert settings_from_env(env).jwt_secret == "changeme" * 4


def test_trusted_proxies_are_none_by_default_and_read_as_a_list(tmp_path):
    base = {"TASKLOOM_DATA_DIR": str(tmp_path)}
    assert settings_from_env(base).trusted_proxies == ()
    listed = settings_from_env(base | {"TASKLOOM_TRUSTED_PROXIES": " 10.0.0.0/8, ::1 ,"})
    assert listed.trusted_proxies == ("10.0.0.0/8", "::1")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TASKLOOM_TOKEN_TTL", "soon"),
        ("TASKLOOM_TOKEN_TTL", "0"),
        ("TASKLOOM_REGISTRATION", "sometimes"),
        ("TASKLOOM_MAX_UPLOAD_BYTES", "-1"),
        ("TASKLOOM_ENV", "staging"),
        ("DATABASE_URL", "mysql://x"),
        ("TASKLOOM_INTROSPECTION", "maybe"),
        ("TASKLOOM_BCRYPT_ROUNDS", "40"),
        ("TASKLOOM_S3_PREFIX", "/absolute/"),
        ("TASKLOOM_S3_PREFIX", "blobs/../elsewhere"),
        ("TASKLOOM_TRUSTED_PROXIES", "10.0.0.0/8, proxy.example.org"),
        ("TASKLOOM_REGISTRATION_MAX_PER_ADDRESS", "0"),
    ],
)
def test_invalid_values_are_refused_naming_the_variable(tmp_path, name, value):
    with pytest.raises(SettingsError, match=name):
        settings_from_env({"TASKLOOM_DATA_DIR": str(tmp_path), name: value})


def test_values_are_read(tmp_path):
    settings = settings_from_env(
        {
            "TASKLOOM_DATA_DIR": str(tmp_path),
            "TASKLOOM_REGISTRATION": "Invite",
            "TASKLOOM_TOKEN_TTL": "3600",
            "DATABASE_URL": "postgresql://u@h:5432/d",
        }
    )
    assert settings.registration is Registration.INVITE
    assert settings.token_ttl_seconds == 3600
    assert settings.database_url == "postgres://u@h:5432/d"


def test_files_go_to_a_bucket_when_one_is_named(tmp_path):
    assert settings_from_env({"TASKLOOM_DATA_DIR": str(tmp_path)}).files.bucket is None
    files = settings_from_env(
        {
            "TASKLOOM_DATA_DIR": str(tmp_path),
            "TASKLOOM_S3_BUCKET": "taskloom-files",
            "TASKLOOM_S3_ENDPOINT_URL": "http://minio:9000",
            "TASKLOOM_S3_PREFIX": "prod",
        }
    ).files
    assert (files.bucket, files.endpoint_url, files.prefix) == (
        "taskloom-files",
        "http://minio:9000",
        "prod/",
    )
