"""Settings shared by every environment. Environment-specific files import * from here."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent.parent
BASE_DIR = Path(os.environ.get("DEALERDESK_HOME", Path.cwd()))
VAR_DIR = Path(os.environ.get("DEALERDESK_VAR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "axes",
    "rules.apps.AutodiscoverRulesConfig",
    "django_tasks_db",
    "dealerdesk.core",
    "dealerdesk.accounts",
    "dealerdesk.customers",
    "dealerdesk.imports",
    "dealerdesk.catalog",
    "dealerdesk.showroom",
    "dealerdesk.offers",
    "dealerdesk.testdrives",
    "dealerdesk.sales",
    "dealerdesk.deliveries",
    "dealerdesk.registrations",
    "dealerdesk.care",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dealerdesk.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dealerdesk.core.middleware.SessionExpiryMiddleware",
    "dealerdesk.core.middleware.IdleTimeoutMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dealerdesk.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "dealerdesk.core.middleware.MethodNotAllowedPageMiddleware",
    "dealerdesk.core.middleware.RetryableConflictMiddleware",
    "dealerdesk.core.dbfaults.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "dealerdesk.config.urls"
WSGI_APPLICATION = "dealerdesk.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dealerdesk.accounts.context_processors.navigation",
            ],
        },
    },
]


def database_from_env(default_sqlite: Path) -> dict:
    """PostgreSQL from DATABASE_URL when set, else the embedded SQLite file."""
    url = os.environ.get("DATABASE_URL")
    if url:
        db = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        db.setdefault("TEST", {})["NAME"] = os.environ.get("DEALERDESK_TEST_DB_NAME") or None
        return db
    return {
        "ENGINE": "dealerdesk.core.sqlite3",  # Django's, with a fair queue for writers
        "NAME": default_sqlite,
        # IMMEDIATE takes the write lock at BEGIN: check-then-insert in a service is serialised.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
    }


DATABASES = {"default": database_from_env(VAR_DIR / "dealerdesk.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "dealerdesk.accounts.lockout.GuessingGuardBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Idle timeout: the cookie is renewed on every request, so it expires after this much inactivity.
# Idle logout is core.middleware.IdleTimeoutMiddleware's (background refreshes are not activity); the stored session
# itself lives a working day, so the middleware sees a stale session and can say why the person was logged out.
DEALERDESK_IDLE_TIMEOUT_SECONDS = int(os.environ.get("DEALERDESK_IDLE_TIMEOUT_SECONDS", 30 * 60))
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "dealerdesk.core.views.csrf_failure"

# django-axes: 5 failures lock the username at that address for 15 minutes (accounts.lockout adds the ceiling).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
# by username at one address: an outsider typing a colleague's username locks only themselves (decision 0014)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "dealerdesk.core.middleware.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dealerdesk.accounts.views.locked_out"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DEALERDESK_FROM_EMAIL", "noreply@dealerdesk.local")

# Outbox transports for SMS and WeChat: an HTTP gateway that takes a JSON POST.
NOTIFICATION_WEBHOOKS = {
    "sms": os.environ.get("DEALERDESK_SMS_WEBHOOK_URL", ""),
    "wechat": os.environ.get("DEALERDESK_WECHAT_WEBHOOK_URL", ""),
}
NOTIFICATION_WEBHOOK_SECRET = os.environ.get("DEALERDESK_WEBHOOK_SECRET", "")
# The address customers reach the app at (https://dealer.example.com): links in SMS/WeChat messages (booking
# calendar files, feedback pages) are absolute only when it is set.
DEALERDESK_PUBLIC_URL = os.environ.get("DEALERDESK_PUBLIC_URL", "").rstrip("/")
NOTIFICATION_MAX_ATTEMPTS = 5
NOTIFICATION_WEBHOOK_TIMEOUT = 10

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes a missing or bad credential a 401, not a 403.
        "dealerdesk.accounts.lockout.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "dealerdesk.core.openapi.AutoSchema",  # error answers declared once
    # Ids, numbers and text are refused or cleaned at the edge (core.filters, core.api): never a 500 deeper down.
    "DEFAULT_FILTER_BACKENDS": ["dealerdesk.core.filters.FilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "dealerdesk.core.api.JSONParser",
        "dealerdesk.core.api.FormParser",
        "dealerdesk.core.api.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "dealerdesk.core.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "dealerdesk.core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "1200/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DealerDesk API",
    "DESCRIPTION": "A car dealer's customer-service standard. Answers are scoped to the caller's stores.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PromotionKindEnum": "dealerdesk.offers.choices.PromotionKind",
        "OfferLineKindEnum": "dealerdesk.offers.choices.LineKind",
        "OfferServiceKindEnum": "dealerdesk.offers.choices.ServiceKind",
        "OfferStatusEnum": "dealerdesk.offers.choices.OfferStatus",
        "ColourKindEnum": "dealerdesk.catalog.choices.ColourKind",
        "StockStatusEnum": "dealerdesk.catalog.choices.StockStatus",
        "DemoStatusEnum": "dealerdesk.catalog.choices.DemoStatus",
        "CertificateHolderEnum": "dealerdesk.catalog.choices.CertificateHolder",
        "EnergyTypeEnum": "dealerdesk.catalog.choices.EnergyType",
        "VisitKindEnum": "dealerdesk.showroom.choices.VisitKind",
        "RecommendationReasonKindEnum": "dealerdesk.showroom.choices.ReasonKind",
        "ConsentPurposeEnum": "dealerdesk.customers.choices.ConsentPurpose",
        "OrderStatusEnum": "dealerdesk.sales.choices.OrderStatus",
        "OrderPaymentMethodEnum": "dealerdesk.sales.choices.PaymentMethod",
        "LoanStatusEnum": "dealerdesk.sales.choices.LoanStatus",
        "DepositDecisionEnum": "dealerdesk.sales.choices.DepositDecision",
        "ContractStatusEnum": "dealerdesk.sales.choices.ContractStatus",
        "SignaturePartyEnum": "dealerdesk.sales.choices.SignatureParty",
        "PaymentKindEnum": "dealerdesk.sales.choices.PaymentKind",
        "PaymentChannelEnum": "dealerdesk.sales.choices.PaymentChannel",
        "PaymentMethodEnum": "dealerdesk.customers.choices.PaymentMethod",
        "TestDriveStatusEnum": "dealerdesk.testdrives.choices.TestDriveStatus",
        "LicenceClassEnum": "dealerdesk.testdrives.choices.LicenceClass",
        "FirstDriverEnum": "dealerdesk.testdrives.choices.FirstDriver",
        "BriefingEnum": "dealerdesk.testdrives.choices.BriefingItem",
    },
}

# Content Security Policy (Django's own): everything from our origin, no inline scripts.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    # Inline style attributes are allowed (low risk, used by Bootstrap components); scripts are not.
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "dealerdesk.core.logging.RequestIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

DEALERDESK_DEMO_PASSWORD = "Demo@2026"
DEALERDESK_DEMO_DATA_ALLOWED = False

_ = _  # marks the module for makemessages without an unused import warning


# Field encryption (DESIGN §7): urlsafe-base64 32-byte keys. The first key encrypts; the others are older keys
# still accepted for decryption while rows are rotated. The blind index key makes HMAC digests for exact lookup.
DEALERDESK_FIELD_KEYS = [key.strip() for key in os.environ.get("DEALERDESK_FIELD_KEYS", "").split(",") if key.strip()]
DEALERDESK_BLIND_INDEX_KEY = os.environ.get("DEALERDESK_BLIND_INDEX_KEY", "").strip()
