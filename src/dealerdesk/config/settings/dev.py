"""Local development: `make run`. Embedded SQLite under var/ unless DATABASE_URL is set."""

from .base import *  # noqa: F403
from .base import STATIC_ROOT, VAR_DIR

DEBUG = True
SECRET_KEY = "dev-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
DEALERDESK_DEMO_DATA_ALLOWED = True
VAR_DIR.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
