"""The migrations build exactly the models' schema, with the ledger's triggers, and undo it.

Each test starts from an empty database (a SQLite file, or a scratch PostgreSQL database
created and dropped here), so it never shares the ``database_url`` fixture's tables.
"""
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

import ledger
from points import config as app_config
from tests.conftest import BACKENDS, reachable_server


@pytest.fixture(params=BACKENDS)
def empty_database_url(request, tmp_path):
    """A database with no tables at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    server = reachable_server()
    name = f"jifen_mig_{uuid.uuid4().hex[:12]}"
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture
def migrated_app(empty_database_url, tmp_path):
    from points import create_app
    from points.extensions import db

    app = create_app(app_config.TestConfig(empty_database_url, tmp_path / "instance"))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def alembic_config():
    # No ini file: the app's logging is left as it is.
    config = AlembicConfig()
    config.set_main_option("script_location", str(app_config.ROOT / "migrations"))
    return config


def schema_differences(engine, metadata):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, metadata)


def post_one_transfer(session):
    with ledger.write_transaction(session):
        source = ledger.system_account(session, 1, ledger.POINTS, "issuance")
        wallet = ledger.open_account(session, community_id=1, owner_type="resident", owner_id=1)
        ledger.transfer(session, debit=source, credit=wallet, amount=ledger.to_points("10"),
                        key="migration-test", kind="grant", reason="测试")


def test_upgrade_builds_exactly_the_models_schema(migrated_app):
    from points.extensions import db

    command.upgrade(alembic_config(), "head")

    assert schema_differences(db.engine, db.metadata) == []


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_entries SET amount = amount + 100",
    "DELETE FROM ledger_entries",
    "UPDATE ledger_transfers SET reason = 'changed'",
    "DELETE FROM ledger_transfers",
])
def test_upgraded_ledger_rows_refuse_change(migrated_app, statement):
    from points.extensions import db

    command.upgrade(alembic_config(), "head")
    post_one_transfer(db.session)

    with pytest.raises(DBAPIError, match="immutable"):
        with db.engine.begin() as connection:
            connection.execute(text(statement))
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM ledger_entries")).scalar() == 2


def test_downgrade_to_base_removes_everything(migrated_app):
    from points.extensions import db

    command.upgrade(alembic_config(), "head")
    post_one_transfer(db.session)
    db.session.remove()

    command.downgrade(alembic_config(), "base")

    assert inspect(db.engine).get_table_names() == ["alembic_version"]
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "postgresql":
            functions = "SELECT count(*) FROM pg_proc WHERE proname = 'ledger_refuse_change'"
            assert connection.execute(text(functions)).scalar() == 0
        else:
            triggers = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
            assert connection.execute(text(triggers)).scalar() == 0


def test_upgrade_again_after_downgrade_gives_the_same_schema(migrated_app):
    from points.extensions import db

    command.upgrade(alembic_config(), "head")
    command.downgrade(alembic_config(), "base")
    command.upgrade(alembic_config(), "head")

    assert schema_differences(db.engine, db.metadata) == []
