"""``flask --app wsgi backup PATH`` and ``flask --app wsgi restore PATH [--force]``.

SQLite: ``backup`` copies the live database with SQLite's online backup API (one
consistent snapshot while the service keeps running) into a single self-contained file;
``restore`` copies such a file into the configured database with the same API.

PostgreSQL: ``backup`` runs ``pg_dump --format=custom`` and ``restore`` runs
``pg_restore --clean --if-exists --no-owner --single-transaction`` (all or nothing) against
the configured ``DATABASE_URL``; the password goes to them in ``PGPASSWORD``, never on
the command line. Both programs are looked for on ``PATH``, then in
``/usr/lib/postgresql/*/bin``.

A backup is written to a temporary file beside PATH and renamed into place, so a file at
PATH is always whole. ``restore`` refuses a database that already holds data unless
``--force`` is given, and ends with the ledger check of ``flask ledger verify`` (exit 1
on any breach).
"""
import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import inspect, select

from ledger.models import Account, Base
from ledger.verify import verify
from points.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
PG_BIN_DIRS = "/usr/lib/postgresql/*/bin"


class BackupError(click.ClickException):
    """A refusal with a message for the operator; the command exits 1."""


# --- where things are ------------------------------------------------------------------

def _backend():
    name = db.engine.url.get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"不支持此数据库：{name}")
    return name


def _sqlite_file():
    database = db.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("只能备份和恢复 SQLite 数据库文件，而不是内存数据库")
    return Path(database)


def pg_program(name):
    """The path of ``pg_dump`` or ``pg_restore``: on PATH, else the newest installed."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(os.path.join(PG_BIN_DIRS, name)),
                        key=lambda path: int(Path(path).parent.parent.name)
                        if Path(path).parent.parent.name.isdigit() else 0)
    if not candidates:
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（apt-get install postgresql-client）")
    return candidates[-1]


def _pg_target():
    """A libpq URI without the password, and an environment carrying it."""
    url = db.engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(command, env):
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise BackupError(f"{Path(command[0]).name} 失败：{detail}")


def _check_destination(path, force):
    if path.is_dir():
        raise BackupError(f"{path} 是一个目录；请给出备份文件的名字")
    if not path.parent.is_dir():
        raise BackupError(f"目录不存在：{path.parent}")
    if path.exists() and not force:
        raise BackupError(f"{path} 已存在；要覆盖请加 --force")


def _check_backup_file(path, backend):
    if not path.is_file():
        raise BackupError(f"找不到备份文件：{path}")
    with open(path, "rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    kind = ("sqlite" if head.startswith(SQLITE_MAGIC)
            else "postgresql" if head.startswith(PGDUMP_MAGIC) else None)
    if kind is None:
        raise BackupError(f"{path} 不是积分超市的备份文件")
    if kind != backend:
        raise BackupError(f"{path} 是 {kind} 的备份，不能恢复到 {backend} 数据库")


# --- SQLite ----------------------------------------------------------------------------

def _read_only(path):
    return Path(path).absolute().as_uri() + "?mode=ro"


def backup_sqlite(source, path):
    """One consistent snapshot of ``source`` into ``path`` (written beside it, renamed)."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    try:
        with closing(sqlite3.connect(_read_only(source), uri=True)) as src, \
                closing(sqlite3.connect(temp)) as dst:
            src.backup(dst)
            # One self-contained file: no -wal beside it to forget when copying it away.
            dst.execute("PRAGMA journal_mode = DELETE")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def restore_sqlite(path, target):
    """Copy the backup at ``path`` over the database file ``target`` (page by page,
    under SQLite's own locks)."""
    with closing(sqlite3.connect(_read_only(path), uri=True)) as src:
        tables = {row[0] for row in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if Account.__tablename__ not in tables:
            raise BackupError(f"{path} 不是积分超市的备份文件")
        if src.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"备份文件已损坏：{path}")
        with closing(sqlite3.connect(target)) as dst:
            src.backup(dst)


# --- PostgreSQL ------------------------------------------------------------------------

def backup_postgresql(path):
    uri, env = _pg_target()
    program = pg_program("pg_dump")
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    try:
        _run([program, "--format=custom", f"--file={temp}", f"--dbname={uri}"], env)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def restore_postgresql(path):
    uri, env = _pg_target()
    program = pg_program("pg_restore")
    _run([program, "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", f"--dbname={uri}", str(path)], env)


# --- the commands ----------------------------------------------------------------------

def tables_with_rows(session):
    """The names of this application's tables that exist and hold at least one row."""
    existing = set(inspect(session.connection()).get_table_names())
    return [table.name for table in Base.metadata.sorted_tables
            if table.name in existing
            and session.execute(select(1).select_from(table).limit(1)).first() is not None]


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing file at PATH.")
@with_appcontext
def backup_command(path, force):
    """Back up the whole database to PATH (SQLite: online backup; PostgreSQL: pg_dump)."""
    backend = _backend()
    path = path.absolute()
    _check_destination(path, force)
    if backend == "sqlite":
        source = _sqlite_file()
        if not source.is_file():
            raise BackupError(f"数据库文件不存在：{source}")
        backup_sqlite(source, path)
    else:
        backup_postgresql(path)
    click.echo(f"已备份到 {path}（{path.stat().st_size} 字节）")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore_command(path, force):
    """Restore the backup at PATH into the configured database, then verify the ledger."""
    backend = _backend()
    path = path.absolute()
    _check_backup_file(path, backend)
    filled = tables_with_rows(db.session)
    db.session.remove()
    if filled and not force:
        raise BackupError(f"目标数据库已有数据（{', '.join(filled[:5])}）；要覆盖请加 --force")
    db.engine.dispose()  # no pooled connection may hold a lock the restore needs
    if backend == "sqlite":
        restore_sqlite(path, _sqlite_file())
    else:
        restore_postgresql(path)
    db.engine.dispose()
    click.echo(f"已从 {path} 恢复")
    _verify_ledger()


def _verify_ledger():
    violations = verify(db.session)
    db.session.remove()
    for violation in violations:
        click.echo(violation)
    if violations:
        click.echo(f"账本检查未通过：{len(violations)} 处问题")
        raise click.exceptions.Exit(1)
    click.echo("账本检查通过：OK")
