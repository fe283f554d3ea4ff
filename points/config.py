"""Configuration from the environment, with an embedded default (SQLite in instance/)."""
import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("JIFEN_INSTANCE", ROOT / "instance"))


def instance_secret(instance=INSTANCE):
    """SECRET_KEY from the environment, else one generated once into the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(instance) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole to a private temp file, then linked into place: workers starting
        # together never read a half-written key, and the first link wins.
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
            os.link(temp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temp)
    return path.read_text().strip()


def database_url(instance=INSTANCE):
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url or f"sqlite:///{Path(instance) / 'jifen.db'}"


def engine_options(url):
    """SQLAlchemy engine options for ``url``. PostgreSQL: a pool per gunicorn worker as big as
    its threads (gunicorn.conf.py), so every thread holds a connection without waiting, plus a
    few spare for a burst; connections are replaced after half an hour, before a proxy or
    firewall drops them unseen. Workers × (pool + overflow) must stay under the server's
    max_connections (100 by default): 5 workers × 6 = 30. SQLite keeps SQLAlchemy's own pool
    (ledger/locking.py sets WAL and BEGIN IMMEDIATE on each connection it opens)."""
    options = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        threads = os.environ.get("GUNICORN_THREADS") or "4"
        options.update(
            pool_size=int(os.environ.get("DB_POOL_SIZE") or threads),
            max_overflow=int(os.environ.get("DB_MAX_OVERFLOW") or "2"),
            pool_recycle=int(os.environ.get("DB_POOL_RECYCLE") or "1800"),
        )
    return options


class Config:
    """Production-like defaults; every value can come from the environment."""

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Always set: Flask-Limiter keeps an earlier app's value when a config leaves it out.
    # JIFEN_RATE_LIMITS=0 switches limits and the sign-in lockout off (load benchmarks only).
    RATELIMIT_ENABLED = os.environ.get("JIFEN_RATE_LIMITS", "1") != "0"
    # Sign-ins per address (the page, the API's token); Flask-Limiter's notation.
    SIGN_IN_PAGE_LIMIT = "20 per minute"
    SIGN_IN_API_LIMIT = "10 per minute"
    # Sign-in lockout (points/auth/lockout.py): 5 wrong passwords free, then 1 min, 2, 4 … 1 h.
    LOCKOUT_FREE_FAILURES = 5
    LOCKOUT_FIRST_SECONDS = 60
    LOCKOUT_MAX_SECONDS = 3600
    LOCKOUT_FORGET_SECONDS = 24 * 3600
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("JIFEN_TIMEZONE", "Asia/Shanghai")
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    LANGUAGES = ("zh_Hans_CN", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Secure cookies unless JIFEN_SECURE_COOKIES=0 (``make run``'s plain-http demo);
    # points/security.py also drops it in debug mode and tests.
    SESSION_COOKIE_SECURE = os.environ.get("JIFEN_SECURE_COOKIES", "1") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)
    MAX_CONTENT_LENGTH = 30 * 1024 * 1024
    IMPORT_MAX_BYTES = 5 * 1024 * 1024
    API_TOKEN_TTL = timedelta(days=7)
    DEVICE_TOKEN_TTL = timedelta(days=180)  # a shop's till tablet (merchants/devices.py)
    # How long a voucher holds points: an offer's (fetched any day) and an amount's at a
    # shop (made standing at the till).
    VOUCHER_ITEM_TTL = timedelta(days=int(os.environ.get("JIFEN_VOUCHER_ITEM_DAYS", "30")))
    VOUCHER_AMOUNT_TTL = timedelta(minutes=int(os.environ.get("JIFEN_VOUCHER_AMOUNT_MINUTES", "30")))
    # argon2id; defaults of argon2-cffi (about 0.3 s a hash on this machine kind).
    PASSWORD_TIME_COST = 3
    PASSWORD_MEMORY_COST = 65536
    API_TITLE = "积分超市 API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_REDOC_PATH = "docs"
    OPENAPI_REDOC_URL = "/static/vendor/redoc.standalone.js"
    JSON_SORT_KEYS = False

    def __init__(self, instance=INSTANCE):
        self.INSTANCE_PATH = str(instance)
        self.SQLALCHEMY_DATABASE_URI = database_url(instance)
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
        self.SECRET_KEY = instance_secret(instance)


class TestConfig(Config):
    """Fast hashing, no CSRF on test-client posts (tests/points/test_csrf.py turns it on)."""

    TESTING = True
    WTF_CSRF_ENABLED = False
    PASSWORD_TIME_COST = 1
    PASSWORD_MEMORY_COST = 1024
    RATELIMIT_STORAGE_URI = "memory://"

    def __init__(self, database_uri, instance):
        self.INSTANCE_PATH = str(instance)
        self.SQLALCHEMY_DATABASE_URI = database_uri
        self.SECRET_KEY = "test-secret-key"
