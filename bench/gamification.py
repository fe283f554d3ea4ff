"""Leaderboards at county scale: 300,000 residents in 200 communities on PostgreSQL.

Bulk-loads (COPY) a county's users, households, grids, activity types, credits with their
ledger transfers, standings, monthly tallies, badges, three months of inspections and a
year of redemptions, then times the read services of ``points.gamification.boards``
(month, all-time and grid boards, ``own_rank``, ``grid_board``, ``honour_board``) and
``points.gamification.services.progress_of`` for sample communities and people, and prints
the median and p99 in ms, and the ``EXPLAIN ANALYZE`` plan of every statement each one
sends. It fails when a plan reads ``standings`` or ``monthly_tallies`` with a Seq Scan.

    .venv/bin/python bench/gamification.py               # 200 communities, a few minutes
    .venv/bin/python bench/gamification.py --scale 0.1   # 20 communities, under a minute

``--scale`` shrinks the number of communities; each keeps 1,500 residents, so the boards
read as much per community as at full scale, from smaller tables. The server comes from
``BENCH_DATABASE_URL``, else ``DATABASE_URL`` (PostgreSQL only), else the ``test`` database
on 127.0.0.1; the bench creates its own scratch database ``jifen_bench_gamification`` there
and drops it at the end. Not part of the pytest suite.
"""
import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from sqlalchemy import create_engine, event, make_url, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import points.models  # noqa: E402,F401  (every table on the one metadata)
from ledger.models import Base  # noqa: E402
from points import months  # noqa: E402
from points.auth.models import User  # noqa: E402
from points.gamification import boards, services  # noqa: E402
from points.tenancy import scoped_to  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DB = "jifen_bench_gamification"
RUN_LOCK_KEY = 0x6A6966656E + 6  # pg_try_advisory_lock key: one run of this bench per server
COMMUNITIES = 200
GRIDS = 10  # per community
HOUSEHOLDS = 500  # per community, 50 a grid
PER_HOUSEHOLD = 3  # residents: 1,500 a community, 300,000 in all
MONTHS = 12  # of history
CACHED_TABLES = ("standings", "monthly_tallies")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "秀英建华桂兰玉梅志强海燕国庆丽娟文华淑芬晓红明德春生小红金凤卫东"
TYPES = (("环境卫生", "environment", "hour"), ("绿化美化", "greening", "hour"),
         ("矛盾调解", "mediation", "participation"), ("敬老助老", "elderly", "hour"),
         ("文明劝导", "civility", "hour"), ("安全隐患上报", "hazard", "participation"))
CREDIT_POINTS = (5, 10, 10, 10, 20, 20, 30, 40)


# Loading --------------------------------------------------------------------------------

def copy_value(value):
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class Tables:
    """One COPY text file per table, written row by row and loaded at the end."""

    COLUMNS = {
        "communities": "id, name, code, district, points_per_yuan, points_expire, created_at",
        "grids": "id, community_id, name, created_at",
        "households": "id, community_id, grid_id, address, created_at",
        "users": "id, community_id, phone, name, role, password_hash, must_change_password, "
                 "household_id, active, elder_mode, leaderboard, created_at",
        "ledger_accounts": "id, community_id, ledger, owner_type, owner_id, purpose, "
                           "allow_negative, balance, held, created_at",
        "activity_types": "id, community_id, name, category, unit, points, photo_required, "
                          "location_required, active, created_at",
        "ledger_transfers": "id, community_id, ledger, key, kind, amount, debit_account_id, "
                            "credit_account_id, reason, ref_type, ref_id, reverses_id, created_at",
        "credits": "id, community_id, user_id, type_id, source, source_id, work_day, rate, "
                   "unit, points, points_before_cap, transfer_id, created_at, reversal_id, "
                   "reversed_at",
        "standings": "user_id, community_id, grid_id, points, expired, score, credits, hours, "
                     "current_streak, best_streak, last_month, refreshed_at",
        "monthly_tallies": "id, community_id, user_id, grid_id, month, points, credits",
        "badge_awards": "id, community_id, user_id, badge, credit_id, awarded_at",
        "inspections": "id, community_id, grid_id, month, inspector_id, created_at",
        "inspection_scores": "id, community_id, inspection_id, household_id, month, personal, "
                             "home, public, passed, points, scored_by_id, scored_at, revision, "
                             "correction_reason",
    }

    def __init__(self, directory):
        self.directory = directory
        self.files = {name: open(os.path.join(directory, f"{name}.tsv"), "w", encoding="utf-8")
                      for name in self.COLUMNS}
        self.counts = dict.fromkeys(self.COLUMNS, 0)
        self.ids = dict.fromkeys(self.COLUMNS, 0)

    def next_id(self, table):
        self.ids[table] += 1
        return self.ids[table]

    def add(self, table, *values):
        self.files[table].write("\t".join(map(copy_value, values)) + "\n")
        self.counts[table] += 1

    def load(self, raw_url, log):
        for handle in self.files.values():
            handle.close()
        with psycopg.connect(raw_url) as connection, connection.cursor() as cursor:
            # The rows are consistent by construction; skipping the per-row foreign-key
            # triggers (superuser only) makes the load several times faster.
            if cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
                cursor.execute("SET session_replication_role = replica")
            for table, columns in self.COLUMNS.items():
                started = time.perf_counter()
                with open(os.path.join(self.directory, f"{table}.tsv"), "rb") as source, \
                        cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    while chunk := source.read(1 << 20):
                        copy.write(chunk)
                log(f"  {table:18} {self.counts[table]:>10,} rows in {time.perf_counter() - started:5.1f} s")
            connection.commit()


def hundredths(points):
    return int(points) * 100


def month_list(now):
    """The last ``MONTHS`` local months, oldest first, as first days."""
    first = months.this_month(now)
    found = [first]
    for _ in range(MONTHS - 1):
        found.append(months.preceding(found[-1]))
    return list(reversed(found))


def moment_of(day, rng):
    """A UTC moment on the local ``day`` (09:00–18:00 in Chengdu)."""
    return datetime(day.year, day.month, day.day, 1, tzinfo=timezone.utc) + timedelta(
        minutes=rng.randrange(9 * 60))


class County:
    """Generates the county into ``Tables``; keeps the ids the timings sample."""

    def __init__(self, tables, communities, now, seed=20261120):
        self.t, self.now, self.rng = tables, now, random.Random(seed)
        self.today = now.astimezone(timezone(timedelta(hours=8))).date()
        self.months = month_list(now)
        self.communities = communities
        self.samples = {"communities": [], "grids": [], "people": []}
        self.participants = []

    def build(self, people=500):
        for community in range(1, self.communities + 1):
            self.community(community)
        self.samples["people"] = self.rng.sample(self.participants, min(people, len(self.participants)))

    def community(self, c):
        t, now, rng = self.t, self.now, self.rng
        t.add("communities", c, f"基准社区{c:03d}", f"bench{c:03d}", "基准区", 5000, False, now)
        accounts = {purpose: self.account(c, "community", c, purpose, purpose == "issuance")
                    for purpose in ("issuance", "escrow")}
        accounts["shop"] = self.account(c, "merchant", c, "main", False)
        staff = t.next_id("users")
        t.add("users", staff, c, f"1{staff:010d}", "基准干事", "staff", "x", False, None, True,
              False, "masked", now)
        types = []
        for name, category, unit in TYPES:
            types.append((t.next_id("activity_types"), unit))
            t.add("activity_types", types[-1][0], c, name, category, unit, 1000, False, False, True, now)
        grids = []
        for g in range(GRIDS):
            grids.append(t.next_id("grids"))
            t.add("grids", grids[-1], c, f"第{g + 1}网格", now)
        self.samples["communities"].append(c)
        self.samples["grids"].append((c, rng.choice(grids)))
        for h in range(HOUSEHOLDS):
            grid = grids[h % GRIDS]
            household = t.next_id("households")
            t.add("households", household, c, grid, f"{h // 20 + 1}栋{h % 20 + 1}号", now)
            for _ in range(PER_HOUSEHOLD):
                self.resident(c, grid, household, accounts, types, staff)
        self.inspections(c, grids, staff)

    def account(self, c, owner_type, owner_id, purpose, allow_negative):
        account = self.t.next_id("ledger_accounts")
        self.t.add("ledger_accounts", account, c, "POINTS", owner_type, owner_id, purpose,
                   allow_negative, 0, 0, self.now)
        return account

    def resident(self, c, grid, household, accounts, types, staff):
        t, rng = self.t, self.rng
        user = t.next_id("users")
        choice = rng.choices(("masked", "named", "hidden"), (80, 15, 5))[0]
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        t.add("users", user, c, f"1{user:010d}", name, "resident", "x", False, household,
              rng.random() > 0.02, False, choice, self.now)
        wallet = self.account(c, "resident", user, "main", False)
        if rng.random() < 0.3:
            return  # never volunteered: no standing
        self.participants.append(user)
        credits = self.credits(c, user, wallet, accounts, types, staff)
        self.redemptions(c, wallet, accounts)
        self.cached(c, user, grid, credits)

    def credits(self, c, user, wallet, accounts, types, staff):
        """The person's credits and their earn transfers (1 % reversed); returns
        ``[(credit id, work day, points, reversed)]``."""
        t, rng = self.t, self.rng
        made = []
        for first in self.months:
            if rng.random() >= 0.35:
                continue
            last_day = self.today.day if first == self.months[-1] else 28
            for _ in range(rng.randint(1, 3)):
                day = first.replace(day=rng.randint(1, last_day))
                amount, (type_id, unit) = rng.choice(CREDIT_POINTS), rng.choice(types)
                at = moment_of(day, rng)
                credit, earn = t.next_id("credits"), t.next_id("ledger_transfers")
                t.add("ledger_transfers", earn, c, "POINTS", f"task:{credit}:{user}", "earn",
                      hundredths(amount), accounts["issuance"], wallet, "环境卫生", "task", credit,
                      None, at)
                reversal = reversed_at = None
                if rng.random() < 0.01:
                    reversal, reversed_at = t.next_id("ledger_transfers"), at + timedelta(days=1)
                    t.add("ledger_transfers", reversal, c, "POINTS", f"reverse:credit:{credit}",
                          "reverse", hundredths(amount), wallet, accounts["issuance"], "看错了",
                          "task", credit, earn, reversed_at)
                t.add("credits", credit, c, user, type_id, "task", credit, day, 1000, unit,
                      hundredths(amount), hundredths(amount), earn, at, reversal, reversed_at)
                made.append((credit, day, amount, reversal is not None))
        return made

    def redemptions(self, c, wallet, accounts):
        t, rng = self.t, self.rng
        for first in self.months:
            if rng.random() >= 0.25:
                continue
            last_day = self.today.day if first == self.months[-1] else 28
            at = moment_of(first.replace(day=rng.randint(1, last_day)), rng)
            redeem, amount = t.next_id("ledger_transfers"), hundredths(rng.randrange(10, 110, 10))
            t.add("ledger_transfers", redeem, c, "POINTS", f"voucher-redeem:{redeem}", "redeem",
                  amount, accounts["escrow"], accounts["shop"], "牛肉面一碗", "voucher", redeem,
                  None, at)
            if rng.random() < 0.02:
                refund = t.next_id("ledger_transfers")
                t.add("ledger_transfers", refund, c, "POINTS", f"voucher-refund:{redeem}", "refund",
                      amount, accounts["shop"], wallet, "菜没做好", "voucher", redeem, None,
                      at + timedelta(minutes=30))

    def cached(self, c, user, grid, credits):
        """Standing, monthly tallies and the first badge, equal to the credits that stand."""
        t, rng = self.t, self.rng
        standing = [(credit, day, amount) for credit, day, amount, gone in credits if not gone]
        tallies = {}
        for _credit, day, amount in standing:
            month = months.month_of(day)
            total, count = tallies.get(month, (0, 0))
            tallies[month] = (total + amount, count + 1)
        for month, (total, count) in sorted(tallies.items()):
            t.add("monthly_tallies", t.next_id("monthly_tallies"), c, user, grid, month,
                  hundredths(total), count)
        earned = sum(amount for _credit, _day, amount in standing)
        expired = min(earned, rng.randrange(0, 200, 10)) if rng.random() < 0.1 else 0
        last = max(tallies) if tallies else None
        t.add("standings", user, c, grid, hundredths(earned), hundredths(expired),
              hundredths(max(earned - expired, 0)), len(standing), 0, 0, 0, last, self.now)
        if standing:
            first = min(standing, key=lambda row: (row[1], row[0]))
            t.add("badge_awards", t.next_id("badge_awards"), c, user, "first_activity", first[0],
                  moment_of(first[1], rng))

    def inspections(self, c, grids, staff):
        """Three months of 清洁户 ratings: 90 % of households scored, 80 % of those pass."""
        t, rng = self.t, self.rng
        first_household = t.ids["households"] - HOUSEHOLDS + 1
        for first in self.months[-3:]:
            month = months.month_of(first)
            inspection_of = {}
            for grid in grids:
                inspection_of[grid] = t.next_id("inspections")
                t.add("inspections", inspection_of[grid], c, grid, month, staff, self.now)
            for h in range(HOUSEHOLDS):
                if rng.random() >= 0.9:
                    continue
                passed = rng.random() < 0.8
                scores = (9, 8, 8) if passed else (9, 8, 4)
                t.add("inspection_scores", t.next_id("inspection_scores"), c,
                      inspection_of[grids[h % GRIDS]], first_household + h, month, *scores, passed,
                      2000 if passed else None, staff, moment_of(first, rng), 1, "")


# Timing ---------------------------------------------------------------------------------

class Recorder:
    """Captures the statements a call sends, to EXPLAIN them afterwards."""

    def __init__(self, engine):
        self.statements, self.on = [], False
        event.listen(engine, "before_cursor_execute", self.capture)

    def capture(self, connection, cursor, statement, parameters, context, executemany):
        if self.on:
            self.statements.append((statement, parameters))


def timed(call, runs):
    timings = []
    for index in range(runs):
        started = time.perf_counter()
        call(index)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[min(len(timings) - 1, int(len(timings) * 0.99))]


def queries(session, county, now):
    """The read services, each called with a rotating sample (``index``)."""
    communities, grids = county.samples["communities"], county.samples["grids"]
    people = [session.get(User, user_id) for user_id in county.samples["people"]]
    this_month = months.month_of(now)

    def community(index):
        return communities[index * 7 % len(communities)]

    def grid(index):
        return grids[index * 7 % len(grids)]

    def person(index):
        return people[index * 13 % len(people)]

    def honour(index):
        with scoped_to(session, community(index)):
            return boards.honour_board(session, community(index), now)

    return {
        "leaderboard month": lambda i: boards.leaderboard(
            session, community_id=community(i), period="month", month=this_month),
        "leaderboard all": lambda i: boards.leaderboard(session, community_id=community(i), period="all"),
        "leaderboard month, grid": lambda i: boards.leaderboard(
            session, community_id=grid(i)[0], period="month", month=this_month, grid_id=grid(i)[1]),
        "leaderboard all, grid": lambda i: boards.leaderboard(
            session, community_id=grid(i)[0], period="all", grid_id=grid(i)[1]),
        "own_rank month": lambda i: boards.own_rank(session, person(i), period="month", month=this_month),
        "own_rank all": lambda i: boards.own_rank(session, person(i), period="all"),
        "grid_board month": lambda i: boards.grid_board(session, community(i), "month", this_month),
        "grid_board all": lambda i: boards.grid_board(session, community(i), "all"),
        "honour_board": honour,
        "progress_of": lambda i: services.progress_of(session, person(i), now),
    }


def explain(session, recorder, call):
    """The EXPLAIN ANALYZE plan of each statement ``call`` sends."""
    recorder.statements, recorder.on = [], True
    try:
        call(0)
    finally:
        recorder.on = False
    plans = []
    connection = session.connection()
    for statement, parameters in recorder.statements:
        rows = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
        plans.append((statement, "\n".join(row[0] for row in rows)))
    return plans


def seq_scans(plan, tables):
    return [table for table in tables if f"Seq Scan on {table}" in plan]


def measure(url, county, now, runs, log):
    engine = create_engine(url)
    recorder = Recorder(engine)
    results, failures = {}, []
    with Session(engine) as session:
        calls = queries(session, county, now)
        for name, call in calls.items():
            for index in range(5):  # warm-up: plans cached, pages in memory
                call(index)
            median, p99 = timed(call, runs)
            results[name] = (median, p99)
            log(f"{name:26} median {median:7.2f} ms   p99 {p99:7.2f} ms")
        log("")
        for name, call in calls.items():
            log(f"===== {name}: EXPLAIN ANALYZE of each statement")
            for statement, plan in explain(session, recorder, call):
                log(" ".join(statement.split())[:300])
                log(plan)
                log("")
                cached = seq_scans(plan, CACHED_TABLES)
                if cached:
                    failures.append(f"{name}: Seq Scan on {', '.join(cached)}")
                others = seq_scans(plan, ("users", "credits", "ledger_transfers", "inspection_scores",
                                          "households", "badge_awards"))
                if others:
                    log(f"  note: Seq Scan on {', '.join(others)}")
        session.rollback()
    engine.dispose()
    return results, failures


# Main -----------------------------------------------------------------------------------

class Scratch:
    """The bench's own database on the server, dropped at the end."""

    def __init__(self, server_url):
        self.server_url = make_url(server_url)
        if self.server_url.get_backend_name() != "postgresql":
            raise SystemExit("this bench needs PostgreSQL")
        if self.server_url.database in (BENCH_DB, None):
            raise SystemExit(f"connect through another database than {BENCH_DB!r}")
        self.server = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        self.guard = self.server.connect()
        if not self.guard.execute(text("SELECT pg_try_advisory_lock(:key)"), dict(key=RUN_LOCK_KEY)).scalar():
            raise SystemExit("another bench/gamification.py run is using this server; wait for it")
        self.version = self.guard.execute(text("SHOW server_version")).scalar()
        self.guard.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        self.guard.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))

    def url(self):
        return self.server_url.set(database=BENCH_DB).render_as_string(hide_password=False)

    def raw_url(self):
        return self.server_url.set(drivername="postgresql", database=BENCH_DB) \
            .render_as_string(hide_password=False)

    def close(self):
        self.guard.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        self.guard.close()
        self.server.dispose()


def server_url():
    for name in ("BENCH_DATABASE_URL", "DATABASE_URL"):
        url = os.environ.get(name)
        if url and url.startswith("postgresql"):
            return url
    return DEFAULT_URL


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="share of the 200 communities (1,500 residents each) to load")
    parser.add_argument("--runs", type=int, default=200, help="timed calls per query")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    args = parser.parse_args()
    communities = max(2, round(COMMUNITIES * args.scale))
    log = lambda line: print(line, flush=True)  # noqa: E731
    now = datetime.now(timezone.utc)
    started = time.perf_counter()
    scratch = Scratch(server_url())
    directory = tempfile.mkdtemp(prefix="jifen_bench_gamification_")
    try:
        engine = create_engine(scratch.url())
        Base.metadata.create_all(engine)
        engine.dispose()
        log(f"PostgreSQL {scratch.version}; {communities} communities, "
            f"{communities * HOUSEHOLDS * PER_HOUSEHOLD:,} residents; generating …")
        tables = Tables(directory)
        county = County(tables, communities, now)
        county.build()
        generated = time.perf_counter() - started
        log(f"generated in {generated:.1f} s; loading with COPY:")
        tables.load(scratch.raw_url(), log)
        with psycopg.connect(scratch.raw_url(), autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
        loaded = time.perf_counter() - started
        log(f"loaded and analysed in {loaded - generated:.1f} s\n")
        results, failures = measure(scratch.url(), county, now, args.runs, log)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        scratch.close()
    log("summary (ms):")
    for name, (median, p99) in results.items():
        log(f"  {name:26} median {median:7.2f}   p99 {p99:7.2f}")
    log(f"rows: {tables.counts}")
    log(f"total {time.perf_counter() - started:.0f} s")
    if args.json:
        print(json.dumps({"communities": communities, "rows": tables.counts,
                          "load_s": round(loaded, 1),
                          "ms": {name: [round(m, 3), round(p, 3)] for name, (m, p) in results.items()},
                          "failures": failures}, ensure_ascii=False))
    if failures:
        raise SystemExit("plans without the cached tables' indexes:\n" + "\n".join(failures))


if __name__ == "__main__":
    main()
