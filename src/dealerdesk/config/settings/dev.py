"""Local development: `make run`. Embedded SQLite under var/ unless DATABASE_URL is set."""

import os

from .base import *  # noqa: F403
from .base import STATIC_ROOT, VAR_DIR

# A store trying the product meets the app's own error pages; Django's debug pages (tracebacks, settings, URL
# patterns) only for a developer who asks for them: DEALERDESK_DEBUG=1 make run.
DEBUG = os.environ.get("DEALERDESK_DEBUG", "") == "1"
SECRET_KEY = "dev-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
DEALERDESK_DEMO_DATA_ALLOWED = True
VAR_DIR.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# INSECURE dev keys, derived from public labels: anyone can recompute them. Never use them for real data.
import base64  # noqa: E402
import hashlib  # noqa: E402


def _insecure_dev_key(label: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(f"dealerdesk-dev-insecure-{label}".encode()).digest()).decode()


DEALERDESK_FIELD_KEYS = [_insecure_dev_key("field-key-1")]
DEALERDESK_BLIND_INDEX_KEY = _insecure_dev_key("blind-index-key")
