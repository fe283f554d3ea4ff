"""``flask --app wsgi backup PATH`` and ``restore PATH``: a backup restored into an empty
database passes the ledger check with every balance as it was; a database with data is
not overwritten by accident; bad paths and wrong files get a clear refusal."""
import uuid
from datetime import date

import pytest
from sqlalchemy import select, text

from ledger.models import Account, Entry, Transfer
from points import backup
from tests import factories
from tests.conftest import reachable_server


def cli(app, *args):
    """Run a command of ``app`` (its own app context: the commands use the current app's,
    and the ``db`` fixture holds the first app's open)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=[str(arg) for arg in args])


def build_data(session):
    """Residents with points, a credit for work, a redeemed voucher and a held one."""
    from points.timeutil import utcnow

    community = factories.make_community(session, name="北新社区")
    shop = factories.make_merchant(session, community, name="张记面馆")
    residents = [factories.make_resident(session, community, name=name, points="300")
                 for name in ("王秀英", "赵桂兰", "周大爷")]
    factories.make_credit(session, residents[0], "20", date(2026, 11, 2))
    factories.make_redemption(session, residents[1], shop, "50", at=utcnow())
    factories.make_held_voucher(session, residents[2], shop, points="30")
    return residents


def ledger_state(session):
    """Every account's balance and hold, and how many transfers and entries there are."""
    rows = session.execute(select(Account.ledger, Account.owner_type, Account.owner_id,
                                  Account.purpose, Account.balance, Account.held)
                           .order_by(Account.id)).all()
    counts = (session.scalar(select(text("count(*)")).select_from(Transfer)),
              session.scalar(select(text("count(*)")).select_from(Entry)))
    return [tuple(row) for row in rows], counts


def app_on(url, instance):
    from points import create_app
    from points.config import TestConfig

    return create_app(TestConfig(url, instance))


def close(app):
    from points.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A database with nothing in it, on the same kind of server: a new SQLite file, or
    a fresh PostgreSQL database (dropped afterwards)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    server = reachable_server()
    name = f"jifen_restore_{uuid.uuid4().hex[:10]}"
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture
def backup_file(app, db, tmp_path):
    build_data(db.session)
    path = tmp_path / "backups" / "jifen.backup"
    path.parent.mkdir()
    db.session.remove()

    result = cli(app, "backup", path)

    assert result.exit_code == 0, result.output
    assert "已备份到" in result.output and path.is_file()
    assert not [p for p in path.parent.iterdir() if p != path]  # no temporary file left
    return path


def test_a_backup_restored_into_an_empty_database_verifies_with_identical_balances(
        app, db, backup_file, empty_database_url, tmp_path):
    before = ledger_state(db.session)
    restored = app_on(empty_database_url, tmp_path / "restored-instance")

    result = cli(restored, "restore", backup_file)

    assert result.exit_code == 0, result.output
    assert "账本检查通过：OK" in result.output
    with restored.app_context():
        from points.extensions import db as restored_db

        assert ledger_state(restored_db.session) == before
        assert len(before[0]) > 5 and before[1][0] > 3
    assert cli(restored, "ledger", "verify").output.strip().endswith("OK")
    close(restored)


def test_restoring_over_a_database_with_data_is_refused_and_changes_nothing(app, db, backup_file):
    factories.give_points(db.session, factories.make_resident(db.session), "70")
    before = ledger_state(db.session)
    db.session.remove()

    result = cli(app, "restore", backup_file)

    assert result.exit_code == 1
    assert "目标数据库已有数据" in result.output and "--force" in result.output
    assert ledger_state(db.session) == before


def test_restore_with_force_puts_the_database_back_as_it_was_at_the_backup(app, db, backup_file):
    at_backup = ledger_state(db.session)
    factories.give_points(db.session, factories.make_resident(db.session), "70")
    assert ledger_state(db.session) != at_backup
    db.session.remove()

    result = cli(app, "restore", "--force", backup_file)

    assert result.exit_code == 0, result.output
    assert "账本检查通过：OK" in result.output
    assert ledger_state(db.session) == at_backup


def test_a_backup_into_a_missing_directory_is_a_clear_refusal(app, tmp_path):
    result = cli(app, "backup", tmp_path / "no-such-dir" / "jifen.backup")

    assert result.exit_code == 1
    assert "目录不存在" in result.output and "Traceback" not in result.output


def test_a_backup_does_not_overwrite_a_file_without_force(app, db, backup_file):
    first = backup_file.read_bytes()

    refused = cli(app, "backup", backup_file)
    forced = cli(app, "backup", "--force", backup_file)

    assert refused.exit_code == 1 and "已存在" in refused.output
    assert forced.exit_code == 0, forced.output
    assert backup_file.read_bytes()[:5] == first[:5]


def test_a_backup_onto_a_directory_is_refused(app, tmp_path):
    result = cli(app, "backup", tmp_path)

    assert result.exit_code == 1 and "是一个目录" in result.output


def test_restoring_a_missing_file_is_a_clear_refusal(app, tmp_path):
    result = cli(app, "restore", tmp_path / "nothing-here.backup")

    assert result.exit_code == 1
    assert "找不到备份文件" in result.output and "Traceback" not in result.output


def test_restoring_a_file_that_is_not_a_backup_is_refused(app, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a backup\n")

    result = cli(app, "restore", path)

    assert result.exit_code == 1 and "不是积分超市的备份文件" in result.output


def test_a_backup_of_the_other_kind_of_database_is_refused(app, tmp_path):
    other = "postgresql" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "sqlite"
    path = tmp_path / "other.backup"
    path.write_bytes(backup.PGDUMP_MAGIC + b"\0" * 64 if other == "postgresql"
                     else backup.SQLITE_MAGIC + b"\0" * 64)

    result = cli(app, "restore", path)

    assert result.exit_code == 1
    assert f"是 {other} 的备份" in result.output


def test_a_sqlite_file_without_the_ledger_is_not_restored(tmp_path):
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x)")
    connection.close()
    app = app_on(f"sqlite:///{tmp_path / 'target.db'}", tmp_path / "instance")

    result = cli(app, "restore", path)

    assert result.exit_code == 1 and "不是积分超市的备份文件" in result.output
    close(app)


def test_missing_postgresql_programs_are_named_with_how_to_install_them(app, monkeypatch):
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    monkeypatch.setattr(backup.glob, "glob", lambda pattern: [])

    with app.app_context(), pytest.raises(backup.BackupError) as refusal:
        backup.pg_program("pg_dump")

    assert "找不到 pg_dump" in refusal.value.message and "postgresql-client" in refusal.value.message


def test_postgresql_programs_are_found_in_the_versioned_directories(monkeypatch):
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    found = ["/usr/lib/postgresql/9/bin/pg_dump", "/usr/lib/postgresql/16/bin/pg_dump",
             "/usr/lib/postgresql/15/bin/pg_dump"]
    monkeypatch.setattr(backup.glob, "glob", lambda pattern: found)

    assert backup.pg_program("pg_dump") == "/usr/lib/postgresql/16/bin/pg_dump"
