"""The test suite. SQLite in a temporary file (or PostgreSQL via DATABASE_URL)."""

from .base import *  # noqa: F403
from .base import STATIC_ROOT

DEBUG = False
SECRET_KEY = "test-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
DEALERDESK_DEMO_DATA_ALLOWED = True
NOTIFICATION_WEBHOOK_TIMEOUT = 3
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# INSECURE test keys, derived from public labels: anyone can recompute them. Never use them for real data.
import base64  # noqa: E402
import hashlib  # noqa: E402


def _insecure_test_key(label: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(f"dealerdesk-test-insecure-{label}".encode()).digest()).decode()


DEALERDESK_FIELD_KEYS = [_insecure_test_key("field-key-1")]
DEALERDESK_BLIND_INDEX_KEY = _insecure_test_key("blind-index-key")

# SQLite tests use a real file (WAL, several connections), not shared-cache memory, so tests with several threads
# see the same locking as production. One file per test process: parallel runs do not collide.
import os  # noqa: E402
import tempfile  # noqa: E402

from .base import DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    _test_file = os.path.join(tempfile.gettempdir(), f"dealerdesk-test-{os.getpid()}.sqlite3")
    DATABASES["default"]["TEST"] = {"NAME": _test_file}
