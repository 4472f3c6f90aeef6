"""Production settings pass Django's deployment checks; demo data never loads there."""

import base64
import hashlib
import os
import subprocess
import sys

import pytest

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "dealerdesk.config.settings.production",
    "DJANGO_SECRET_KEY": "k" * 20 + "-production-secret-key-for-the-check-0123456789abcdef",
    "DJANGO_ALLOWED_HOSTS": "dealerdesk.example.com",
    "DEALERDESK_FIELD_KEYS": ",".join(
        base64.urlsafe_b64encode(hashlib.sha256(label).digest()).decode() for label in (b"check-current", b"check-old")
    ),
    "DEALERDESK_BLIND_INDEX_KEY": base64.urlsafe_b64encode(hashlib.sha256(b"check-blind").digest()).decode(),
}


def _dealerdesk(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dealerdesk", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_at_warning_level(tmp_path):
    result = _dealerdesk(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION_ENV, "DEALERDESK_VAR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": "", "DEALERDESK_VAR": str(tmp_path)}
    result = _dealerdesk("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("DEALERDESK_FIELD_KEYS", ""),
        ("DEALERDESK_FIELD_KEYS", "not-a-32-byte-key"),
        ("DEALERDESK_BLIND_INDEX_KEY", ""),
        ("DEALERDESK_BLIND_INDEX_KEY", base64.urlsafe_b64encode(b"sixteen byte key").decode()),
    ],
)
def test_production_refuses_to_start_without_valid_encryption_keys(tmp_path, setting, value):
    result = _dealerdesk("check", env={**PRODUCTION_ENV, setting: value, "DEALERDESK_VAR": str(tmp_path)})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert setting in result.stderr


def test_demo_data_is_refused_in_production(tmp_path):
    result = _dealerdesk("demo_data", env={**PRODUCTION_ENV, "DEALERDESK_VAR": str(tmp_path)})
    assert result.returncode != 0
    assert "disabled" in result.stderr


@pytest.mark.django_db
def test_demo_data_is_idempotent():
    from django.core.management import call_command

    from dealerdesk.accounts.models import Membership, Store, User

    call_command("demo_data")
    counts = (User.objects.count(), Store.objects.count(), Membership.objects.count())
    call_command("demo_data")
    assert (User.objects.count(), Store.objects.count(), Membership.objects.count()) == counts
    assert counts == (13, 2, 13)
    assert {"manager", "consultant", "reception", "care", "clerk", "storeadmin", "groupadmin"} <= set(
        User.objects.values_list("username", flat=True)
    )


def test_collectstatic_passes_under_production_settings(tmp_path):
    # the deploy step of docs/deploy.md: hashed, compressed files; a vendored file naming a missing source map
    # used to fail it
    result = _dealerdesk("collectstatic", "--no-input", env={**PRODUCTION_ENV, "DEALERDESK_VAR": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert "vendor/chart" in manifest and "vendor/htmx" in manifest
