"""A county's two years of points, bulk-loaded into its own PostgreSQL database.

    .venv/bin/python bench/seed_scale.py                 # 200 communities, 10 M entries
    .venv/bin/python bench/seed_scale.py --scale 0.01    # 2 communities, seconds

``--scale`` shrinks the number of communities (200 at 1.0); each keeps 10 grids, 500
households, 1,500 residents, 10 shops and two years of history, so a community's
figures read as much at any scale. The database (default ``jifen_bench_reports`` on
127.0.0.1; not ``jifen_bench``, which ``bench/ledger.py`` drops) is dropped, created with
the models' schema (``create_all``, as the tests do) and filled by ``COPY``; the plain
indexes of the two ledger tables are built after the load. It is kept for
``bench/reports.py``; drop it by hand when done.

Each community's history is played in time order through a small ledger kept in memory,
so every transfer has its two entries with running balances, cached balances equal the
sums of their entries, ``held`` equals the pending holds, nothing a person owns goes
below zero, and ``flask ledger verify`` passes (``--verify`` runs it here). What happens:

* credits (``earn``) for work of six activity types, 8 % through approved claims, 1 %
  reversed (``reverse``) the next day when the points are still there; claims pending
  and rejected in the last days;
* 清洁户 awards (``earn`` to a household's account, no credit), a few ``grant``s;
* monthly 积分券: ``coupon`` to a resident's coupon account, used at a shop through a
  voucher, or sent back (``coupon_expire``) after 30 days;
* vouchers: a ``hold`` from the wallet into escrow, then ``redeem`` (to a shop, or
  ``retired`` for the community store), ``release`` (cancelled, expired) or still held;
  2 % of shop redemptions ``refund``ed;
* monthly settlement per shop (``settle``; CNY ``settlement`` from the fund and
  ``payout``), monthly donations into the fund (CNY ``donation``);
* in one community in four, points of the year before last expire at the last year end
  (``expire``, the rule of ``ledger.expiry``);
* after the load, every volunteer's ``standings`` row and ``monthly_tallies`` (what the
  leaderboards read) are computed from the credits in SQL (``add_game_rows``), as
  ``refresh_person`` keeps them; ``flask --app wsgi gamification check`` compares them with
  the credits in Python.

Not part of the pytest suite.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402

import points.models  # noqa: E402,F401  (every table on the one metadata)
from bench.county_community import (COMMUNITIES, DAYS, HOUSEHOLDS, LOCAL, PER_HOUSEHOLD,  # noqa: E402
                                    Community)
from bench.gamification import Tables  # noqa: E402
from ledger.models import Base  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/jifen_bench_reports"
BIG_TABLES = ("ledger_transfers", "ledger_entries")


class CountyTables(Tables):
    COLUMNS = {
        "communities": "id, name, code, district, points_per_yuan, points_expire, created_at",
        "grids": "id, community_id, name, created_at",
        "households": "id, community_id, grid_id, address, created_at",
        "merchants": "id, community_id, name, address, status, per_bill_cap, created_at",
        "users": "id, community_id, phone, name, role, password_hash, must_change_password, "
                 "household_id, merchant_id, active, elder_mode, leaderboard, created_at",
        "grid_assignments": "user_id, grid_id",
        "activity_types": "id, community_id, name, category, unit, points, photo_required, "
                          "location_required, active, created_at",
        "offers": "id, community_id, merchant_id, kind, title, description, points, active, created_at",
        "coupon_rules": "id, community_id, name, min_points, points, budget, valid_days, active, created_at",
        "ledger_accounts": "id, community_id, ledger, owner_type, owner_id, purpose, "
                           "allow_negative, balance, held, created_at",
        "ledger_transfers": "id, community_id, ledger, key, kind, amount, debit_account_id, "
                            "credit_account_id, reason, actor_id, ref_type, ref_id, reverses_id, "
                            "hold_id, created_at",
        "ledger_entries": "id, transfer_id, account_id, amount, balance_after, created_at",
        "ledger_holds": "id, community_id, ledger, account_id, destination_account_id, "
                        "escrow_account_id, amount, status, expires_at, hold_transfer_id, "
                        "outcome_transfer_id, created_at, resolved_at",
        "credits": "id, community_id, user_id, type_id, source, source_id, work_day, rate, unit, "
                   "points, points_before_cap, transfer_id, approved_by_id, created_at, "
                   "reversal_id, reversed_by_id, reversed_at, reversal_reason",
        "claims": "id, community_id, user_id, household_id, grid_id, filed_by_id, type_id, "
                  "work_day, description, location, points_asked, points, status, "
                  "reject_reason, created_at, decided_at, credit_id",
        "coupons": "id, community_id, rule_id, month, user_id, points, status, valid_until, "
                   "issue_transfer_id, expire_transfer_id, created_at",
        "settlements": "id, community_id, merchant_id, period, voucher_count, points, "
                       "points_per_yuan, amount_cny, status, points_transfer_id, cny_transfer_id, "
                       "settled_by_id, settled_at, paid_at, paid_by_id, payment_reference, "
                       "paid_transfer_id",
        "vouchers": "id, community_id, code, user_id, merchant_id, offer_id, title, points, "
                    "funding, coupon_id, hold_id, status, expires_at, created_at, redeemed_at, "
                    "redeemed_by_id, closed_at, refunded_at, refunded_by_id, refund_reason, "
                    "refund_transfer_id, settlement_id",
        "fund_incomes": "id, community_id, kind, amount_cny, source, received_on, note, "
                        "request_key, transfer_id, recorded_by_id, created_at",
    }


def check_columns():
    """Every NOT NULL column without a server default is loaded (COPY skips Python defaults)."""
    for name, columns in CountyTables.COLUMNS.items():
        given = {column.strip() for column in columns.split(",")}
        needed = {column.name for column in Base.metadata.tables[name].columns
                  if not column.nullable and column.server_default is None}
        if needed - given:
            raise SystemExit(f"{name}: columns {sorted(needed - given)} are not loaded")


class County:
    def __init__(self, tables, communities, now, seed=20261124):
        self.t, self.now, self.seed = tables, now, seed
        self.start = now - timedelta(days=DAYS)
        self.communities = communities
        self.expiring = {c: c % 4 == 1 for c in range(1, communities + 1)}
        self.expiring_year = now.astimezone(LOCAL).year - 2  # expired at the last year end

    def build(self, log):
        started = time.perf_counter()
        t = self.t
        district = t.next_id("users")
        t.add("users", district, None, f"1{district:010d}", "区管理员", "district_admin", "x", False,
              None, None, True, False, "masked", self.start)
        for c in range(1, self.communities + 1):
            Community(self, c).build()
            if c % 10 == 0 or c == self.communities:
                log(f"  community {c}/{self.communities}: {t.counts['ledger_transfers']:,} transfers, "
                    f"{time.perf_counter() - started:.0f} s")


# Database -------------------------------------------------------------------------------

def raw(url):
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def recreate(url):
    url = make_url(url)
    if url.get_backend_name() != "postgresql":
        raise SystemExit("this bench needs PostgreSQL")
    if url.database in ("test", "postgres", "jifen_bench", None) or url.database.startswith("jifen_test"):
        raise SystemExit(f"refusing to drop the database {url.database!r}; name a bench database")
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    server.dispose()
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()


def drop_plain_indexes(cursor):
    """Drop the big tables' indexes that back no constraint; return their definitions."""
    rows = cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint)", (list(BIG_TABLES),)).fetchall()
    for name, _definition in rows:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in rows]


def load(tables, url, log):
    with psycopg.connect(raw(url)) as connection, connection.cursor() as cursor:
        definitions = drop_plain_indexes(cursor)
        connection.commit()
    tables.load(raw(url), log)
    add_game_rows(url, datetime.fromisoformat(tables.info["now"]), log)
    with psycopg.connect(raw(url), autocommit=True) as connection:
        connection.execute("SET maintenance_work_mem = '1GB'")
        for definition in definitions:
            started = time.perf_counter()
            connection.execute(definition)
            log(f"  {definition.split(' ON ')[0]:60} {time.perf_counter() - started:5.1f} s")
        started = time.perf_counter()
        connection.execute("VACUUM ANALYZE")
        log(f"  VACUUM ANALYZE {time.perf_counter() - started:.1f} s")
        connection.execute("CREATE TABLE bench_info (name text PRIMARY KEY, value text)")
        for name, value in tables.info.items():
            connection.execute("INSERT INTO bench_info VALUES (%s, %s)", (name, json.dumps(value)))
    advance_sequences(url)


GAME_ROWS = """
WITH worked AS (
    SELECT c.user_id, to_char(c.work_day, 'YYYY-MM') AS month, sum(c.points) AS points,
           count(*) AS credits, sum(coalesce(c.hours, 0)) AS hours
    FROM credits c WHERE c.reversed_at IS NULL GROUP BY 1, 2
), tallies AS (
    INSERT INTO monthly_tallies (community_id, user_id, grid_id, month, points, credits)
    SELECT u.community_id, w.user_id, h.grid_id, w.month, w.points, w.credits
    FROM worked w JOIN users u ON u.id = w.user_id LEFT JOIN households h ON h.id = u.household_id
), numbered AS (
    SELECT user_id, month, (left(month, 4)::int * 12 + right(month, 2)::int) AS n FROM worked
), runs AS (
    SELECT user_id, max(n) AS last_n, count(*) AS length
    FROM (SELECT user_id, n, n - row_number() OVER (PARTITION BY user_id ORDER BY n) AS run
          FROM numbered) grouped GROUP BY user_id, run
), streaks AS (
    SELECT user_id, max(length) AS best,
           coalesce(max(length) FILTER (WHERE last_n >= %(this_n)s - 1), 0) AS current
    FROM runs GROUP BY user_id
), expired AS (
    SELECT a.owner_id AS user_id, sum(t.amount) AS points
    FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.debit_account_id
    WHERE t.kind = 'expire' AND a.owner_type = 'resident' GROUP BY 1
)
INSERT INTO standings (user_id, community_id, grid_id, points, expired, score, credits, hours,
                       current_streak, best_streak, last_month, refreshed_at)
SELECT u.id, u.community_id, h.grid_id, coalesce(sum(w.points), 0), coalesce(e.points, 0),
       greatest(coalesce(sum(w.points), 0) - coalesce(e.points, 0), 0), coalesce(sum(w.credits), 0),
       coalesce(sum(w.hours), 0), coalesce(s.current, 0), coalesce(s.best, 0), max(w.month),
       %(now)s
FROM users u
JOIN (SELECT DISTINCT user_id FROM credits) volunteers ON volunteers.user_id = u.id
LEFT JOIN households h ON h.id = u.household_id
LEFT JOIN worked w ON w.user_id = u.id
LEFT JOIN streaks s ON s.user_id = u.id
LEFT JOIN expired e ON e.user_id = u.id
GROUP BY u.id, u.community_id, h.grid_id, e.points, s.current, s.best
"""


def add_game_rows(url, now, log):
    """Every volunteer's standing and monthly tallies from the credits that stand, as
    ``refresh_person`` writes them (badges are not awarded: no board reads them)."""
    started = time.perf_counter()
    local = now.astimezone(LOCAL)
    with psycopg.connect(raw(url)) as connection:
        connection.execute(GAME_ROWS, dict(this_n=local.year * 12 + local.month, now=now))
        counts = [connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                  for name in ("standings", "monthly_tallies")]
    log(f"  standings {counts[0]:,} and monthly_tallies {counts[1]:,} from the credits in "
        f"{time.perf_counter() - started:.1f} s")


def advance_sequences(url):
    """``COPY`` with explicit ids leaves the id sequences at 1: move each past its table's
    largest id, or the service's first insert would collide."""
    with psycopg.connect(raw(url), autocommit=True) as connection:
        found = connection.execute(
            "SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), "
            "column_name) FROM information_schema.columns WHERE table_schema = 'public' AND "
            "pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL").fetchall()
        for table, column, sequence in found:
            connection.execute(
                f'SELECT setval(%s, GREATEST((SELECT max("{column}") FROM "{table}"), '
                f"(SELECT last_value FROM {sequence}), 1))", (sequence,))


def verify(url, log):
    from sqlalchemy.orm import Session

    from ledger.verify import CHECKS

    engine = create_engine(url)
    with Session(engine) as session:
        for check in CHECKS:
            started = time.perf_counter()
            found = check(session)
            log(f"  {check.__name__:36} {len(found)} violations  {time.perf_counter() - started:5.1f} s")
            for line in found[:5]:
                log(f"    {line}")
            if found:
                raise SystemExit("the generated ledger does not verify")
    engine.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of the 200 communities to load")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_REPORTS_URL", DEFAULT_URL))
    parser.add_argument("--verify", action="store_true", help="run the ledger's checks after loading")
    args = parser.parse_args()
    check_columns()
    log = lambda line: print(line, flush=True)  # noqa: E731
    communities = max(2, round(COMMUNITIES * args.scale))
    now = datetime.now(timezone.utc).replace(microsecond=0)
    started = time.perf_counter()
    recreate(args.database_url)
    log(f"{make_url(args.database_url).database}: {communities} communities, "
        f"{communities * HOUSEHOLDS * PER_HOUSEHOLD:,} residents, {DAYS} days to {now:%Y-%m-%d %H:%M} UTC")
    directory = tempfile.mkdtemp(prefix="jifen_bench_reports_")
    try:
        tables = CountyTables(directory)
        County(tables, communities, now).build(log)
        tables.info = {"scale": args.scale, "communities": communities, "now": now.isoformat(),
                       "rows": tables.counts}
        generated = time.perf_counter() - started
        log(f"generated in {generated:.0f} s; loading with COPY:")
        load(tables, args.database_url, log)
        log(f"loaded in {time.perf_counter() - started - generated:.0f} s")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if args.verify:
        log("ledger verify:")
        verify(args.database_url, log)
    log("rows: " + ", ".join(f"{name} {count:,}" for name, count in tables.counts.items()))
    log(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
