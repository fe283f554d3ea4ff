"""Ledger throughput against hand-written SQL, and a balance read at a million entries.

Compares ``ledger.transfer`` (one ``write_transaction`` per transfer, committed) with a
baseline that writes the same rows through the raw driver (``sqlite3`` / ``psycopg``), on
SQLite and PostgreSQL, with 1 and 4 worker processes moving points between random pairs of
200 funded resident accounts. Every run starts from the same freshly seeded database, the
two implementations alternate, and the median of the rounds is reported.

    .venv/bin/python bench/ledger.py --quick --json

The PostgreSQL server comes from ``BENCH_DATABASE_URL`` (default: the ``test`` database on
127.0.0.1); the bench drops and recreates its own scratch databases ``jifen_bench`` and
``jifen_bench_seed`` there and never touches any other. SQLite runs in a temporary directory.
Not part of the pytest suite.
"""
import argparse
import gc
import json
import multiprocessing
import os
import platform
import queue
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

# This file is called ledger.py: make ``import ledger`` find the package, not this script.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or os.getcwd()).resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import psycopg  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import ledger  # noqa: E402
from ledger.models import Base, utcnow  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DB = "jifen_bench"
SEED_DB = "jifen_bench_seed"
COMMUNITY = 1
RESIDENTS = 200
FUNDING_POINTS = 1_000_000  # per resident: random 1–5 point transfers never run dry
RUN_LOCK_KEY = 0x6A6966656E  # pg_try_advisory_lock key: one bench run per server
WARMUP_TRANSFERS = 30  # per worker, before the clock starts (connections, prepared plans)

# The baseline's SQL: the same columns and values ``ledger.transfer`` writes.
TRANSFER_COLUMNS = ("community_id", "ledger", "key", "kind", "amount", "debit_account_id",
                    "credit_account_id", "reason", "created_at")
ENTRY_COLUMNS = "transfer_id, account_id, amount, balance_after, created_at"


def _sql(placeholder, lock_suffix):
    marks = ", ".join([placeholder] * len(TRANSFER_COLUMNS))
    entry_marks = ", ".join([placeholder] * 5)
    return dict(
        lock=("SELECT id, balance, allow_negative, ledger, community_id FROM ledger_accounts "
              f"WHERE id IN ({placeholder}, {placeholder}) ORDER BY id{lock_suffix}"),
        update=(f"UPDATE ledger_accounts SET balance = CASE WHEN id = {placeholder} "
                f"THEN {placeholder} ELSE {placeholder} END "
                f"WHERE id IN ({placeholder}, {placeholder})"),
        transfer=(f"INSERT INTO ledger_transfers ({', '.join(TRANSFER_COLUMNS)}) "
                  f"VALUES ({marks}) ON CONFLICT (key) DO NOTHING RETURNING id"),
        entries=(f"INSERT INTO ledger_entries ({ENTRY_COLUMNS}) "
                 f"VALUES ({entry_marks}), ({entry_marks})"),
    )


PG_SQL = _sql("%s", " FOR UPDATE")
SQLITE_SQL = _sql("?", "")


def sqlite_timestamp(moment):
    """How SQLAlchemy stores ``UTCDateTime`` on SQLite: naive UTC, microseconds."""
    return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


# Workers -----------------------------------------------------------------------------

class LedgerWorker:
    """The project's public API: one ``write_transaction`` per ``transfer``."""

    def __init__(self, backend, url):
        self.engine = ledger.install(create_engine(url))
        self.session = Session(self.engine)

    def transfer(self, debit, credit, points, key):
        with ledger.write_transaction(self.session):
            ledger.transfer(self.session, debit=debit, credit=credit, amount=Decimal(points),
                            key=key, kind="bench")

    def close(self):
        self.session.close()
        self.engine.dispose()


class RawWorker:
    """The same rows through the bare driver: lock, check, update, insert, commit."""

    def __init__(self, backend, url):
        self.backend = backend
        if backend == "postgresql":
            self.connection = psycopg.connect(url)
            self.sql, self.stamp = PG_SQL, (lambda moment: moment)
        else:
            self.connection = sqlite3.connect(url, isolation_level=None)
            for pragma in ("foreign_keys = ON", "busy_timeout = 15000",
                           "journal_mode = WAL", "synchronous = NORMAL"):
                self.connection.execute(f"PRAGMA {pragma}")
            self.sql, self.stamp = SQLITE_SQL, sqlite_timestamp

    def transfer(self, debit, credit, points, key):
        sql, hundredths = self.sql, points * 100
        cursor = self.connection.cursor()
        if self.backend == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")  # psycopg opens its transaction itself
        try:
            rows = {row[0]: row for row in cursor.execute(sql["lock"], sorted((debit, credit)))}
            source, target = rows[debit], rows[credit]
            if not source[2] and source[1] < hundredths:
                raise RuntimeError("insufficient balance")
            debit_after, credit_after = source[1] - hundredths, target[1] + hundredths
            cursor.execute(sql["update"], (debit, debit_after, credit_after, debit, credit))
            now = self.stamp(utcnow())
            transfer_id = cursor.execute(sql["transfer"], (
                source[4], source[3], key, "bench", hundredths, debit, credit, "", now,
            )).fetchone()[0]
            cursor.execute(sql["entries"], (
                transfer_id, debit, -hundredths, debit_after, now,
                transfer_id, credit, hundredths, credit_after, now,
            ))
            if self.backend == "postgresql":
                self.connection.commit()
            else:
                cursor.execute("COMMIT")
        except BaseException:
            self.connection.rollback()
            raise

    def close(self):
        self.connection.close()


IMPLEMENTATIONS = {"ledger": LedgerWorker, "raw": RawWorker}


def run_worker(impl, backend, url, index, run_tag, accounts, duration, barrier, results):
    """One process: warm up, wait for the others, transfer until ``duration`` is over."""
    worker = IMPLEMENTATIONS[impl](backend, url)
    rng = random.Random(f"{run_tag}:{index}")
    counter = 0

    def one():
        nonlocal counter
        debit, credit = rng.sample(accounts, 2)
        worker.transfer(debit, credit, rng.randint(1, 5), f"{run_tag}:{index}:{counter}")
        counter += 1

    for _ in range(WARMUP_TRANSFERS):
        one()
    warm = counter
    barrier.wait()
    started = time.perf_counter()
    deadline = started + duration
    while time.perf_counter() < deadline:
        one()
    results.put((counter - warm, time.perf_counter() - started, counter))
    worker.close()


# Databases ---------------------------------------------------------------------------

def seed(session):
    """Issuance account plus RESIDENTS funded accounts; returns the residents' ids."""
    with ledger.write_transaction(session):
        issuance = ledger.system_account(session, COMMUNITY, ledger.POINTS, "issuance")
        residents = [ledger.open_account(session, community_id=COMMUNITY, owner_type="resident",
                                         owner_id=n) for n in range(1, RESIDENTS + 1)]
        for resident in residents:
            ledger.transfer(session, debit=issuance, credit=resident,
                            amount=Decimal(FUNDING_POINTS), key=f"seed:{resident}", kind="earn")
    return issuance, residents


class Postgres:
    name = "postgresql"

    def __init__(self, server_url):
        self.server_url = make_url(server_url)
        for name in (BENCH_DB, SEED_DB):
            if name.startswith("jifen_test_") or name == self.server_url.database:
                raise SystemExit(f"refusing to use database {name!r}")
        self.server = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        # Two runs at once would drop each other's databases mid-run.
        self.guard = self.server.connect()
        if not self.guard.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                  dict(key=RUN_LOCK_KEY)).scalar():
            raise SystemExit("another bench/ledger.py run is using this server; wait for it")
        self.version = self._scalar("SHOW server_version")
        self._recreate(SEED_DB)
        engine = create_engine(self.url(SEED_DB))
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            self.issuance, self.residents = seed(session)
        engine.dispose()

    def url(self, database=BENCH_DB):
        return self.server_url.set(database=database).render_as_string(hide_password=False)

    def raw_url(self, database=BENCH_DB):
        return self.server_url.set(drivername="postgresql", database=database) \
            .render_as_string(hide_password=False)

    def _scalar(self, sql):
        with self.server.connect() as connection:
            return connection.execute(text(sql)).scalar()

    def _recreate(self, name, template=None):
        with self.server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            suffix = f' TEMPLATE "{template}"' if template else ""
            connection.execute(text(f'CREATE DATABASE "{name}"{suffix}'))

    def fresh(self):
        """A copy of the seeded database; returns (SQLAlchemy URL, driver URL)."""
        self._recreate(BENCH_DB, template=SEED_DB)
        return self.url(), self.raw_url()

    def close(self):
        with self.server.connect() as connection:
            for name in (BENCH_DB, SEED_DB):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.guard.close()
        self.server.dispose()


class Sqlite:
    name = "sqlite"
    version = sqlite3.sqlite_version

    def __init__(self):
        self.directory = tempfile.mkdtemp(prefix="jifen_bench_")
        self.seed_path = os.path.join(self.directory, "seed.db")
        self.path = os.path.join(self.directory, "bench.db")
        engine = ledger.install(create_engine(f"sqlite:///{self.seed_path}"))
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            self.issuance, self.residents = seed(session)
        engine.dispose()  # the last connection folds the WAL back into the file
        if os.path.exists(self.seed_path + "-wal"):
            raise SystemExit("the seeded SQLite file still has a WAL; copying it would lose rows")

    def fresh(self):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.path + suffix):
                os.remove(self.path + suffix)
        shutil.copyfile(self.seed_path, self.path)
        return f"sqlite:///{self.path}", self.path

    def close(self):
        shutil.rmtree(self.directory, ignore_errors=True)


# Measurements ------------------------------------------------------------------------

def measure(db, impl, workers, duration, round_no):
    """Transfers per second of ``impl`` with ``workers`` processes on a fresh database."""
    url, raw_url = db.fresh()
    # Workers are forked, like gunicorn's; freezing the parent's objects keeps the
    # children's garbage collector off them (no copy-on-write of the inherited heap).
    gc.collect()
    gc.freeze()
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(workers), context.Queue()
    run_tag = f"{impl}:{workers}:{round_no}"
    processes = [
        context.Process(target=run_worker, args=(
            impl, db.name, url if impl == "ledger" else raw_url, index, run_tag, db.residents,
            duration, barrier, results))
        for index in range(workers)
    ]
    for process in processes:
        process.start()
    outcomes = []
    while len(outcomes) < workers:
        try:
            outcomes.append(results.get(timeout=1))
        except queue.Empty:
            if any(p.exitcode for p in processes):
                break  # a worker died: do not wait for it
    for process in processes:
        if process.exitcode is None and len(outcomes) < workers:
            process.terminate()
        process.join()
        if process.exitcode:
            raise SystemExit(f"{impl} worker failed on {db.name} (exit {process.exitcode})")
    check_books(url, expected_transfers=RESIDENTS + sum(total for _, _, total in outcomes))
    return sum(count for count, _, _ in outcomes) / max(elapsed for _, elapsed, _ in outcomes)


def check_books(url, expected_transfers):
    """Both implementations must leave balanced, complete books behind."""
    engine = create_engine(url)
    with engine.connect() as connection:
        transfers, entries, balance_sum, mismatched = connection.execute(text(
            "SELECT (SELECT count(*) FROM ledger_transfers), (SELECT count(*) FROM ledger_entries),"
            " (SELECT sum(balance) FROM ledger_accounts),"
            " (SELECT count(*) FROM ledger_accounts a WHERE a.balance <>"
            "   (SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e"
            "    WHERE e.account_id = a.id))"
        )).one()
    engine.dispose()
    if (transfers, entries, balance_sum, mismatched) != (expected_transfers,
                                                         2 * expected_transfers, 0, 0):
        raise SystemExit(f"books do not balance after a run on {url}: {transfers} transfers, "
                         f"{entries} entries, sum {balance_sum}, {mismatched} accounts off")


def throughput(db, workers, duration, rounds, log):
    """Median tps of each implementation and the median of the rounds' ratios.

    Each round runs the baseline and then the ledger back to back, so that a round's
    ratio compares the two under the same conditions of a shared machine (disk flush
    latency and other load drift over minutes).
    """
    figures = {"raw": [], "ledger": []}
    for round_no in range(rounds):
        for impl in ("raw", "ledger"):
            figures[impl].append(measure(db, impl, workers, duration, round_no))
        log(f"  {db.name:10} {workers} worker(s) round {round_no + 1}: "
            f"raw {figures['raw'][-1]:6.0f} tps, ledger {figures['ledger'][-1]:6.0f} tps, "
            f"ratio {figures['ledger'][-1] / figures['raw'][-1]:.2f}")
    ratios = [ledger_tps / raw_tps for raw_tps, ledger_tps in zip(figures["raw"], figures["ledger"])]
    return {"raw": statistics.median(figures["raw"]),
            "ledger": statistics.median(figures["ledger"]),
            "ratio": statistics.median(ratios)}


def load_entries(db, count):
    """Give one account ``count`` entries (issuance → account, 1 point each), in bulk."""
    url, _ = db.fresh()
    engine = ledger.install(create_engine(url))
    started = time.perf_counter()
    with Session(engine) as session, ledger.write_transaction(session):
        account = ledger.open_account(session, community_id=COMMUNITY, owner_type="resident",
                                      owner_id=RESIDENTS + 1)
        base = session.scalar(text("SELECT coalesce(max(id), 0) FROM ledger_transfers"))
        params = dict(n=count, base=base, issuance=db.issuance, account=account, now=utcnow())
        if db.name == "postgresql":
            _load_postgres(session, params)
        else:
            params["now"] = sqlite_timestamp(params["now"])
            _load_sqlite(session, params)
        session.execute(text(
            "UPDATE ledger_accounts SET balance = balance + :delta WHERE id = :account"),
            dict(delta=count * 100, account=account))
        session.execute(text(
            "UPDATE ledger_accounts SET balance = balance - :delta WHERE id = :issuance"),
            dict(delta=count * 100, issuance=db.issuance))
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    loaded = time.perf_counter() - started
    return engine, account, loaded


_PG_LOAD = (
    """INSERT INTO ledger_transfers (id, community_id, ledger, key, kind, amount,
           debit_account_id, credit_account_id, reason, created_at)
       SELECT :base + g, 1, 'POINTS', 'load:' || g, 'earn', 100, :issuance, :account, '', :now
       FROM generate_series(1, :n) AS g""",
    """SELECT setval(pg_get_serial_sequence('ledger_transfers', 'id'), :base + :n)""",
    """INSERT INTO ledger_entries (transfer_id, account_id, amount, balance_after, created_at)
       SELECT :base + g, side.account, side.sign * 100,
              side.start + side.sign * 100 * g, :now
       FROM generate_series(1, :n) AS g,
            (SELECT 1 AS ord, CAST(:issuance AS BIGINT) AS account, -1 AS sign,
                    (SELECT balance FROM ledger_accounts WHERE id = :issuance) AS start
             UNION ALL SELECT 2, :account, 1, 0) AS side
       ORDER BY g, side.ord""",
)

_SQLITE_LOAD = (
    """WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < :n)
       INSERT INTO ledger_transfers (id, community_id, ledger, key, kind, amount,
           debit_account_id, credit_account_id, reason, created_at)
       SELECT :base + i, 1, 'POINTS', 'load:' || i, 'earn', 100, :issuance, :account, '', :now
       FROM g""",
    """WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < :n)
       INSERT INTO ledger_entries (transfer_id, account_id, amount, balance_after, created_at)
       SELECT :base + i, side.account, side.sign * 100, side.start + side.sign * 100 * i, :now
       FROM g, (SELECT 1 AS ord, :issuance AS account, -1 AS sign,
                       (SELECT balance FROM ledger_accounts WHERE id = :issuance) AS start
                UNION ALL SELECT 2, :account, 1, 0) AS side
       ORDER BY i, side.ord""",
)


def _load_postgres(session, params):
    # The rows are consistent by construction; skipping the per-row foreign-key triggers
    # (superuser only) makes the load several times faster. Counts are checked afterwards.
    if session.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
        session.execute(text("SET LOCAL session_replication_role = replica"))
    for sql in _PG_LOAD:
        session.execute(text(sql), params)


def _load_sqlite(session, params):
    for sql in _SQLITE_LOAD:
        session.execute(text(sql), params)


def balance_read(db, count, reads, log):
    """Median ms of ``ledger.balance_of`` on an account with ``count`` entries."""
    engine, account, loaded = load_entries(db, count)
    with Session(engine) as session:
        entries = session.scalar(text("SELECT count(*) FROM ledger_entries WHERE account_id = :a"),
                                 dict(a=account))
        expected = ledger.balance_of(session, account).balance
        if entries != count or expected != Decimal(count):
            raise SystemExit(f"load went wrong: {entries} entries, balance {expected}")
        for _ in range(50):
            ledger.balance_of(session, account)
        timings = []
        for _ in range(reads):
            started = time.perf_counter()
            ledger.balance_of(session, account)
            timings.append(time.perf_counter() - started)
        started = time.perf_counter()
        page = ledger.statement(session, account, limit=50)
        statement_ms = (time.perf_counter() - started) * 1000
    engine.dispose()
    read_ms = statistics.median(timings) * 1000
    log(f"  {db.name:10} {entries:,} entries loaded in {loaded:.1f} s; balance_of median "
        f"{read_ms:.3f} ms (p99 {sorted(timings)[int(reads * 0.99)] * 1000:.3f} ms), "
        f"first statement page ({len(page)} lines) {statement_ms:.1f} ms")
    return read_ms, statement_ms


# Main --------------------------------------------------------------------------------

def machine():
    with open("/proc/meminfo") as meminfo:
        kib = int(meminfo.readline().split()[1])
    return dict(nproc=os.cpu_count(), memory_gib=round(kib / 2**20, 1),
                python=platform.python_version(), sqlite=sqlite3.sqlite_version,
                psycopg=psycopg.__version__, loadavg_start=round(os.getloadavg()[0], 2))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="about a minute: shorter runs, 200,000 entries for the balance read")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    args = parser.parse_args()
    duration, rounds = (2.0, 3) if args.quick else (3.0, 9)
    # 1,000,000 entries take 30–60 s to load on PostgreSQL here: too long for --quick.
    entries = 200_000 if args.quick else 1_000_000
    reads = 2_000 if args.quick else 10_000
    log = lambda line: print(line, flush=True)  # noqa: E731

    info = machine()
    started = time.perf_counter()
    postgres = Postgres(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    info["postgresql"] = postgres.version
    log(f"machine: {info}")
    log(f"mode: {'quick' if args.quick else 'full'}; {duration:g} s per run, {rounds} round(s), "
        f"{RESIDENTS} accounts, worker processes")
    result = {"mode": "quick" if args.quick else "full", **info}
    sqlite_db = Sqlite()
    try:
        for db, tag in ((postgres, "pg"), (sqlite_db, "sqlite")):
            for workers in (1, 4):
                tps = throughput(db, workers, duration, rounds, log)
                ratio = tps["ratio"]
                result[f"{tag}_{workers}_tps"] = round(tps["ledger"], 1)
                result[f"{tag}_{workers}_raw_tps"] = round(tps["raw"], 1)
                result[f"ratio_{tag}_{workers}"] = round(ratio, 3)
                log(f"{db.name:10} {workers} worker(s): ledger {tps['ledger']:7.0f} tps, "
                    f"raw {tps['raw']:7.0f} tps, ratio {ratio:.2f}")
        for db, tag in ((postgres, "pg"), (sqlite_db, "sqlite")):
            read_ms, statement_ms = balance_read(db, entries, reads, log)
            result[f"balance_read_ms_{tag}"] = round(read_ms, 4)
            result[f"statement_page_ms_{tag}"] = round(statement_ms, 2)
        result["balance_read_entries"] = entries
    finally:
        sqlite_db.close()
        postgres.close()
    result["balance_read_ms"] = max(result["balance_read_ms_pg"], result["balance_read_ms_sqlite"])
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["loadavg_end"] = round(os.getloadavg()[0], 2)

    log("")
    log("backend     workers   ledger tps   raw tps   ratio   target")
    for tag, name, target in (("pg", "postgresql", 0.6), ("sqlite", "sqlite", 0.2)):
        for workers in (1, 4):
            ratio = result[f"ratio_{tag}_{workers}"]
            log(f"{name:11} {workers:7} {result[f'{tag}_{workers}_tps']:12.0f} "
                f"{result[f'{tag}_{workers}_raw_tps']:9.0f} {ratio:7.2f}   "
                f">= {target} {'ok' if ratio >= target else 'MISSED'}")
    log(f"balance_of at {entries:,} entries on one account (median of {reads:,} reads): "
        f"{result['balance_read_ms_pg']:.3f} ms PostgreSQL, "
        f"{result['balance_read_ms_sqlite']:.3f} ms SQLite; target < 1 ms"
        + ("" if entries == 1_000_000 else " (--quick: 200,000 entries, not 1,000,000)"))
    log(f"total {result['seconds']} s; 1-minute load average {result['loadavg_start']} at the "
        f"start, {result['loadavg_end']} at the end (other work on the machine skews the figures)")
    if args.json:
        print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
