"""Fixtures: every database test runs on SQLite and on PostgreSQL.

- SQLite: a fresh file per test, copied from a template built once per session over one
  path per pytest process (xdist worker).
- PostgreSQL: one database per pytest process (xdist worker), made from ``test`` at
  127.0.0.1:5432 and dropped at the end; every table is emptied before each test.
- The Flask app: built once per pytest process and database (``create_app`` compiles
  some 240 routes and the OpenAPI document: 0.3 s, about half of a test's time), and put
  back before every test: its config, the rate limiter's settings and counters, the
  password hashing costs, its static folder, a new instance folder. A test that adds
  routes to the app asks for its own with ``@pytest.mark.private_app``.
  When ``JIFEN_REQUIRE_POSTGRES=1`` (``.ci/run`` sets it), an unreachable server fails
  the PostgreSQL tests instead of skipping them.
"""
import contextlib
import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

import ledger
import points.models  # noqa: F401  (all tables)
from ledger.models import Base
from points.config import TestConfig

PG_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("JIFEN_REQUIRE_POSTGRES") == "1"
BACKENDS = ("sqlite", "postgresql")


def _server_engine():
    return create_engine(PG_SERVER, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


def reachable_server():
    """An autocommit engine on the PostgreSQL server; skips the test when there is none,
    or fails it when ``JIFEN_REQUIRE_POSTGRES=1``."""
    server = _server_engine()
    try:
        with server.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001  (any failure means: no server)
        server.dispose()
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (JIFEN_REQUIRE_POSTGRES=1) but did not answer: {error}")
        pytest.skip(f"PostgreSQL not reachable at {PG_SERVER}")
    return server


@contextlib.contextmanager
def private_pg_database():
    """A new PostgreSQL database with every table, dropped afterwards: its URL."""
    server = reachable_server()
    name = f"jifen_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.url.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture(scope="session")
def pg_database_url():
    """A private PostgreSQL database for this pytest process, with every table."""
    with private_pg_database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_live_path(tmp_path_factory):
    """The one SQLite path this process's tests use, each on a fresh copy."""
    return tmp_path_factory.mktemp("live") / "test.db"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = ledger.install(create_engine(f"sqlite:///{path}"))
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


_EMPTIERS = {}


def _empty_all(url):
    """Every row gone and every id back to 1. DELETE with triggers and foreign keys off
    (``session_replication_role``) takes 2 ms where TRUNCATE of 45 tables takes 85."""
    if url not in _EMPTIERS:
        deletes = "; ".join(f'DELETE FROM "{table.name}"' for table in Base.metadata.sorted_tables)
        _EMPTIERS[url] = (create_engine(url, pool_size=1),
                          "SET LOCAL session_replication_role = replica; " + deletes + "; "
                          "SELECT setval(c.oid, 1, false) FROM pg_class c "
                          "JOIN pg_namespace n ON n.oid = c.relnamespace "
                          "WHERE c.relkind = 'S' AND n.nspname = current_schema()")
    engine, statements = _EMPTIERS[url]
    with engine.begin() as connection:
        connection.exec_driver_sql(statements)


def _fresh_sqlite_copy(template, path):
    """A new file (a new inode: a connection left open elsewhere keeps the old one)."""
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    shutil.copy(template, path)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """An empty database with every table: one SQLite file, or the PostgreSQL one."""
    if request.param == "sqlite":
        path = request.getfixturevalue("sqlite_live_path")
        _fresh_sqlite_copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database_url")
    _empty_all(url)
    return url


@pytest.fixture
def engine(database_url):
    """A ledger-ready engine without Flask (ledger tests need no app)."""
    engine = ledger.install(create_engine(database_url, pool_size=20, max_overflow=10)
                            if database_url.startswith("postgresql")
                            else create_engine(database_url))
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    with Session(engine) as session:
        yield session


_APPS = {}  # (config class, database url) -> (app, its config, the limiter's settings, static)


def _app_for_test(config_class, database_url, instance, private=False):
    """The shared app for ``config_class`` on ``database_url``, put back as new, or a
    private one; the caller hands it to ``_end_test`` afterwards."""
    from points import create_app
    from points.auth import passwords
    from points.extensions import limiter

    key = (config_class, database_url)
    if private or key not in _APPS:
        app = create_app(config_class(database_url, instance))
        if private:
            return app
        _APPS[key] = (app, dict(app.config), dict(vars(limiter)), app.static_folder)
    app, config, limiter_settings, static_folder = _APPS[key]
    app.static_folder = static_folder  # tests/points/test_serving.py points it elsewhere
    app.config.clear()
    app.config.update(config, INSTANCE_PATH=str(instance))
    Path(instance).mkdir(parents=True, exist_ok=True)
    vars(limiter).update(limiter_settings)  # another test's create_app re-initialised it
    limiter.storage.reset()
    passwords.configure(app.config["PASSWORD_TIME_COST"], app.config["PASSWORD_MEMORY_COST"])
    return app


def _end_test(app):
    from points.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # SQLite: the next test's file is a new one


class CsrfTestConfig(TestConfig):
    WTF_CSRF_ENABLED = True


@pytest.fixture
def app(request, database_url, tmp_path):
    private = request.node.get_closest_marker("private_app") is not None
    app = _app_for_test(TestConfig, database_url, tmp_path / "instance", private)
    yield app
    _end_test(app)


@pytest.fixture
def db(app):
    from points.extensions import db

    with app.app_context():
        yield db
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_client(database_url, tmp_path):
    """A test client of an app with CSRF protection on, as in production: ``(client, session)``."""
    from points.extensions import db

    app = _app_for_test(CsrfTestConfig, database_url, tmp_path / "csrf-instance")
    with app.app_context():
        yield app.test_client(), db.session
    _end_test(app)

