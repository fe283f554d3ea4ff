"""Production serving: gunicorn's settings, the database pool, static caching, gzip."""
import gzip
import importlib.util
import os
import re
import shutil
import urllib.request

from sqlalchemy import create_engine, text

import ledger
from points.config import ROOT, Config, engine_options
from tests import factories
from tests.gunicorn import Gunicorn
from tests.points.reports.conftest import seed

GZIP = {"Accept-Encoding": "gzip"}


def load_gunicorn_conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- gunicorn.conf.py ---------------------------------------------------------------------

GUNICORN_ENV = ("GUNICORN_WORKERS", "WEB_CONCURRENCY", "GUNICORN_THREADS", "BIND", "GUNICORN_TIMEOUT")


def test_the_gunicorn_defaults_follow_the_cores(monkeypatch):
    for name in GUNICORN_ENV:
        monkeypatch.delenv(name, raising=False)
    conf = load_gunicorn_conf()

    assert conf.workers == 2 * conf.cores() + 1
    assert conf.worker_class == "gthread" and conf.threads == 4
    assert conf.bind == "127.0.0.1:8000"
    assert conf.timeout == 60 and conf.graceful_timeout == 30 and conf.keepalive == 5
    assert conf.max_requests > 0 and 0 < conf.max_requests_jitter < conf.max_requests
    assert conf.preload_app is False
    assert conf.accesslog == "-" and "%(M)s" in conf.access_log_format


def test_the_environment_overrides_gunicorn(monkeypatch):
    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "8")
    monkeypatch.setenv("BIND", "0.0.0.0:9000")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "90")
    assert load_gunicorn_conf().workers == 3

    monkeypatch.setenv("GUNICORN_WORKERS", "2")  # wins over WEB_CONCURRENCY
    conf = load_gunicorn_conf()

    assert (conf.workers, conf.threads, conf.bind, conf.timeout) == (2, 8, "0.0.0.0:9000", 90)


# --- the database pool ----------------------------------------------------------------------

def test_postgresql_gets_a_pool_as_big_as_the_threads(monkeypatch, tmp_path):
    for name in ("DB_POOL_SIZE", "DB_MAX_OVERFLOW", "DB_POOL_RECYCLE", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    url = "postgresql+psycopg://jifen@db/jifen"
    assert engine_options(url) == {"pool_pre_ping": True, "pool_size": 4, "max_overflow": 2,
                                   "pool_recycle": 1800}

    monkeypatch.setenv("GUNICORN_THREADS", "8")
    assert engine_options(url)["pool_size"] == 8
    monkeypatch.setenv("DB_POOL_SIZE", "6")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "0")
    assert (engine_options(url)["pool_size"], engine_options(url)["max_overflow"]) == (6, 0)

    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("DATABASE_URL", "postgres://jifen@db/jifen")
    assert Config(tmp_path).SQLALCHEMY_ENGINE_OPTIONS["pool_size"] == 6


def test_sqlite_keeps_its_own_pool_and_wal(monkeypatch, tmp_path):
    monkeypatch.setenv("DB_POOL_SIZE", "6")
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = Config(tmp_path)
    assert config.SQLALCHEMY_ENGINE_OPTIONS == {"pool_pre_ping": True}

    engine = ledger.install(create_engine(config.SQLALCHEMY_DATABASE_URI,
                                          **config.SQLALCHEMY_ENGINE_OPTIONS))
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        engine.dispose()


# --- static files and cache headers -----------------------------------------------------------

def test_static_urls_carry_a_version_and_are_kept_a_year(client):
    page = client.get("/sign-in")
    html = page.get_data(as_text=True)
    found = re.search(r'/static/css/app\.css\?v=([0-9a-f]+)"', html)
    assert found, "the stylesheet URL has no ?v="

    with client.get(f"/static/css/app.css?v={found.group(1)}") as versioned:
        assert versioned.status_code == 200
        assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with client.get("/static/css/app.css") as plain:
        assert plain.headers["Cache-Control"] == "no-cache"


def test_the_version_changes_with_the_file(app, tmp_path):
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "x.css").write_text("a{}")
    app.static_folder = str(static)
    with app.test_request_context():
        from flask import url_for

        first = url_for("static", filename="css/x.css")
        (static / "css" / "x.css").write_text("b{color:red}")
        os.utime(static / "css" / "x.css", ns=(1, 1))  # a new mtime, whatever the clock says
        second = url_for("static", filename="css/x.css")
        missing = url_for("static", filename="css/none.css")

    assert "?v=" in first and "?v=" in second and first != second
    assert missing == "/static/css/none.css"


def test_pages_and_json_are_not_cached(client):
    assert client.get("/sign-in").headers["Cache-Control"] == "no-store"
    assert client.get("/healthz").headers["Cache-Control"] == "no-store"


# --- gzip -------------------------------------------------------------------------------------

def test_a_page_is_gzipped_only_when_asked(client):
    plain = client.get("/sign-in")
    zipped = client.get("/sign-in", headers=GZIP)

    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert int(zipped.headers["Content-Length"]) == len(zipped.get_data())
    body = gzip.decompress(zipped.get_data()).decode("utf-8")
    # The CSRF token differs between the two answers; the rest is the same page.
    token = re.compile(r'name="csrf_token"[^>]*>')
    assert token.sub("", body) == token.sub("", plain.get_data(as_text=True))


def test_a_large_json_answer_is_gzipped_and_a_small_one_is_not(client):
    spec = client.get("/api/v1/openapi.json", headers=GZIP)
    small = client.get("/healthz", headers=GZIP)

    assert spec.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(spec.get_data()).startswith(b"{")
    assert "Content-Encoding" not in small.headers


def test_a_css_file_is_gzipped_with_its_own_etag(client):
    with client.get("/static/css/app.css", headers=GZIP) as zipped:
        body = gzip.decompress(zipped.get_data())
        assert int(zipped.headers["Content-Length"]) == len(zipped.get_data())
        etag = zipped.headers["ETag"]
    with client.get("/static/css/app.css") as plain:
        assert body == plain.get_data()
        assert etag.endswith(':gzip"') and etag != plain.headers["ETag"]
    with client.get("/static/css/app.css", headers={**GZIP, "If-None-Match": etag}) as again:
        assert again.status_code == 304


def test_a_byte_range_is_never_gzipped(client):
    with client.get("/static/css/app.css", headers={**GZIP, "Range": "bytes=0-99"}) as part:
        assert part.status_code == 206
        assert "Content-Encoding" not in part.headers and len(part.get_data()) == 100


def test_a_csv_report_streams_uncompressed(client, db):
    seeded = seed(db.session)
    assert factories.sign_in(client, seeded.staff).status_code == 302

    response = client.get("/staff/reports/journal.csv", headers=GZIP)

    assert response.status_code == 200 and response.is_streamed
    assert "Content-Encoding" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_data().decode("utf-8").startswith("\ufeff")


# --- gunicorn for real -------------------------------------------------------------------------

def test_gunicorn_serves_the_app_with_gzip(tmp_path, sqlite_template):
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copy(sqlite_template, instance / "jifen.db")
    log = tmp_path / "gunicorn.log"
    server = Gunicorn(log, workers=1, threads=2, JIFEN_INSTANCE=str(instance), DATABASE_URL=None)
    try:
        server.start()
        request = urllib.request.Request(f"{server.base}/sign-in", headers=GZIP)
        with urllib.request.urlopen(request, timeout=5) as page:
            assert page.headers["Content-Encoding"] == "gzip"
            assert "<html" in gzip.decompress(page.read()).decode("utf-8")
    finally:
        server.stop()
    assert re.search(r'"GET /sign-in HTTP/1.1" 200 \d+ \d+ms', log.read_text())
