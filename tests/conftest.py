"""Fixtures: every database test runs on SQLite and on PostgreSQL.

- SQLite: a fresh file per test, copied from a template built once per session.
- PostgreSQL: one database per pytest process (xdist worker), made from ``test`` at
  127.0.0.1:5432 and dropped at the end; every table is truncated before each test.
  When ``JIFEN_REQUIRE_POSTGRES=1`` (``.ci/run`` sets it), an unreachable server fails
  the PostgreSQL tests instead of skipping them.
"""
import os
import shutil
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

import ledger
import points.models  # noqa: F401  (all tables)
from ledger.models import Base

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


@pytest.fixture(scope="session")
def pg_database_url():
    """A private PostgreSQL database for this pytest process, with every table."""
    server = reachable_server()
    name = f"jifen_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.url.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield url
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = ledger.install(create_engine(f"sqlite:///{path}"))
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


def _truncate_all(url):
    engine = create_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """An empty database with every table: one SQLite file, or the PostgreSQL one."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database_url")
    _truncate_all(url)
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


@pytest.fixture
def app(database_url, tmp_path):
    from points import create_app
    from points.config import TestConfig
    from points.extensions import db

    app = create_app(TestConfig(database_url, tmp_path / "instance"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


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
    from points import create_app
    from points.config import TestConfig
    from points.extensions import db

    class CsrfTestConfig(TestConfig):
        WTF_CSRF_ENABLED = True

    app = create_app(CsrfTestConfig(database_url, tmp_path / "csrf-instance"))
    with app.app_context():
        yield app.test_client(), db.session
        db.session.remove()
        db.engine.dispose()
