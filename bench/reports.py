"""The dashboard's figures at county scale: timings and the plan of every statement.

    .venv/bin/python bench/seed_scale.py [--scale 0.01]   # first: the county's database
    .venv/bin/python bench/reports.py [--quick]

On the database ``bench/seed_scale.py`` filled (``jifen_bench_reports`` by default), times
``points.reports``: ``figures.summary`` of the community with the most transfers this
month, the same of its busiest grid, ``district.district_summary`` (every community) and
``access.summary_for`` as the district administrator (the district page), for this month at the
moment the data was generated; and the community's ``summary`` with none of its closed
months stored (``points.reports.closed_months``: every call reads the year's transfers and
stores the months again), against the same with them stored. Every stored month is then
recomputed from the ledger (``figures.check_closed_months``); one that differs fails the
run. Prints the median and p95 in ms of several calls after one warm-up, the ratios, and
the ``EXPLAIN (ANALYZE, BUFFERS)`` plan of every distinct statement each call sends
(captured with a ``before_cursor_execute`` listener; a statement sent several times is
explained once, with its count). ``--check`` also times the district the first way, one
``summary`` per community summed, and fails unless ``district_summary`` equals it.

Exits non-zero when a call's p95 is 1 s or more, or when a plan reads one of
``ledger_transfers``, ``ledger_entries``, ``credits``, ``users``, ``households`` or
``vouchers`` with a Seq Scan while that table holds 100,000 rows or more (on the small
tables of ``--scale 0.01`` a Seq Scan is the right plan; it is printed as a note).
Not part of the pytest suite.
"""
import argparse
import json
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, event, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import points.models  # noqa: E402,F401  (every table on the one metadata)
from bench.seed_scale import DEFAULT_URL  # noqa: E402
from ledger.models import Transfer  # noqa: E402
from points.auth.models import User  # noqa: E402
from points.communities.models import Community  # noqa: E402
from points.households.models import Household  # noqa: E402
from points.reports import access, closed_months, district, figures, snapshots  # noqa: E402

WATCHED = ("ledger_transfers", "ledger_entries", "credits", "users", "households", "vouchers")
BIG = 100_000  # rows: a Seq Scan on a watched table this large fails the run
LIMIT_MS = 1000
BATCH = "district_summary (cron refresh)"  # a batch job, not a page: no 1 s limit, scans allowed
COLD = "summary, community, no month stored"  # what the page cost before closed months were stored
SUMMED = ("issued", "redeemed", "expired", "outstanding", "outstanding_cny", "fund_balance", "residents",
          "active_residents", "households", "households_this_year", "approvals_waiting", "decided_30_days")


class Recorder:
    """The statements (and parameters) a call sends, in order."""

    def __init__(self, engine):
        self.statements, self.on = [], False
        event.listen(engine, "before_cursor_execute", self.capture)

    def capture(self, connection, cursor, statement, parameters, context, executemany):
        if self.on and not statement.lstrip().upper().startswith("EXPLAIN"):
            self.statements.append((statement, parameters))


def timed(call, runs):
    call()  # warm-up: plans cached, pages in memory
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return statistics.median(timings), p95


def samples(session, since, until):
    """The community with the most transfers in the period, its grid with the most
    households, and the district administrator."""
    community = session.execute(
        select(Transfer.community_id, func.count()).where(Transfer.created_at >= since,
                                                          Transfer.created_at < until)
        .group_by(Transfer.community_id).order_by(func.count().desc(), Transfer.community_id)
        .limit(1)).one()[0]
    grid = session.execute(
        select(Household.grid_id, func.count()).where(Household.community_id == community)
        .group_by(Household.grid_id).order_by(func.count().desc(), Household.grid_id).limit(1)).one()[0]
    admin = session.scalar(select(User).where(User.role == "district_admin").order_by(User.id).limit(1))
    return community, grid, admin


def explain(session, recorder, call):
    """``[(statement, times sent, plan)]`` for each distinct statement ``call`` sends."""
    recorder.statements, recorder.on = [], True
    try:
        call()
    finally:
        recorder.on = False
    seen = {}
    for statement, parameters in recorder.statements:
        if statement in seen:
            seen[statement][0] += 1
        else:
            seen[statement] = [1, parameters]
    connection = session.connection()
    found = []
    for statement, (count, parameters) in seen.items():
        rows = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
        found.append((statement, count, "\n".join(row[0] for row in rows)))
    return found


def per_community(session, *, since, until, now):
    """The district as ``district_summary`` defined it first: one ``summary`` per community,
    summed (the reference its grouped queries must equal)."""
    ids = session.scalars(select(Community.id).order_by(Community.id)).all()
    parts = [figures.summary(session, community_id=cid, since=since, until=until, now=now) for cid in ids]
    totals = {name: sum((getattr(part, name) for part in parts), 0) for name in SUMMED}
    median = district.median_of(part.median_decision_minutes for part in parts
                                if part.median_decision_minutes is not None)
    series = [(month.month, sum((p.series[i].issued for p in parts), 0),
               sum((p.series[i].redeemed for p in parts), 0)) for i, month in enumerate(parts[0].series)]
    return dict(totals, median=median, series=series,
                activities=district.merged(part.activities for part in parts),
                shops=district.merged(part.shops for part in parts))


def same_as_per_community(found, reference):
    """The fields where the district summary differs from the per-community sum."""
    differ = [name for name in SUMMED if getattr(found, name) != reference[name]]
    if found.median_decision_minutes != reference["median"]:
        differ.append("median_decision_minutes")
    if [(m.month, m.issued, m.redeemed) for m in found.series] != reference["series"]:
        differ.append("series")
    for name in ("activities", "shops"):
        if getattr(found, name) != reference[name]:
            differ.append(name)
    return differ


def table_rows(session):
    return dict(session.execute(text(
        "SELECT relname, reltuples::bigint FROM pg_class WHERE relname = ANY(:names)"),
        {"names": list(WATCHED)}).all())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_REPORTS_URL", DEFAULT_URL))
    parser.add_argument("--runs", type=int, default=9, help="timed calls of each figure")
    parser.add_argument("--quick", action="store_true", help="3 timed calls instead of --runs")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    parser.add_argument("--check", action="store_true",
                        help="also time one summary per community, summed; compare with district_summary")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    log = lambda line="": print(line, flush=True)  # noqa: E731
    engine = create_engine(args.database_url)
    recorder = Recorder(engine)
    failures, results = [], {}
    with Session(engine) as session:
        info = {name: json.loads(value) for name, value in session.execute(text("SELECT * FROM bench_info"))}
        now = datetime.fromisoformat(info["now"])
        since, until = access.period_of(now=now)
        rows = table_rows(session)
        community, grid, admin = samples(session, since, until)
        log(f"PostgreSQL {session.scalar(text('SHOW server_version'))}; scale {info['scale']}: "
            f"{info['communities']} communities; period {since:%Y-%m-%d %H:%M} – {until:%Y-%m-%d %H:%M} UTC")
        log("rows: " + ", ".join(f"{name} {count:,}" for name, count in info["rows"].items()))
        log(f"community {community}, grid {grid}, district administrator {admin.id}\n")
        # The district page reads the stored copy the cron job writes (points.reports.snapshots).
        snapshots.ReportSnapshot.__table__.create(engine, checkfirst=True)
        closed_months.MonthFlows.__table__.create(engine, checkfirst=True)
        started = time.perf_counter()
        snapshots.refresh(session, since=since, until=until, now=now)
        refresh_ms = (time.perf_counter() - started) * 1000
        log(f"reports refresh (the cron job storing the district's figures): {refresh_ms:.0f} ms")
        def from_the_ledger():
            """The community's summary with no closed month stored: all twelve months of the
            series and the year's households read from the ledger, then stored."""
            session.execute(closed_months.MonthFlows.__table__.delete().where(
                closed_months.MonthFlows.community_id == community))
            session.commit()
            return figures.summary(session, community_id=community, since=since, until=until, now=now)

        calls = {
            COLD: from_the_ledger,
            "summary, community": lambda: figures.summary(
                session, community_id=community, since=since, until=until, now=now),
            "summary, grid": lambda: figures.summary(
                session, community_id=community, since=since, until=until, grid_id=grid, now=now),
            BATCH: lambda: district.district_summary(session, since=since, until=until, now=now),
            "summary_for, district admin": lambda: access.summary_for(
                session, actor=admin, since=since, until=until, now=now),
        }
        for name, call in calls.items():
            median, p95 = timed(call, runs)
            results[name] = (median, p95)
            log(f"{name:30} median {median:8.1f} ms   p95 {p95:8.1f} ms   ({runs} runs)")
            if p95 >= LIMIT_MS and name != BATCH:
                failures.append(f"{name}: p95 {p95:.0f} ms ≥ {LIMIT_MS} ms")
        district_ms = results[BATCH][0]
        one = results["summary, community"][0]
        log(f"\nratios: community with closed months stored / from the ledger {one / results[COLD][0]:.2f}; "
            f"grid / community {results['summary, grid'][0] / one:.2f}; district / community "
            f"{district_ms / one:.1f} ({info['communities']} communities); district per community "
            f"{district_ms / info['communities']:.1f} ms")
        found = calls[BATCH]()
        mine = calls["summary, community"]()
        log(f"district: issued {found.issued}, redeemed {found.redeemed}, expired {found.expired}, "
            f"outstanding {found.outstanding}, residents {found.residents}, active {found.active_residents}, "
            f"households this year {found.households_this_year}/{found.households}, "
            f"waiting {found.approvals_waiting}")
        log(f"community {community}: issued {mine.issued}, redeemed {mine.redeemed}, expired {mine.expired}, "
            f"outstanding {mine.outstanding}, active {mine.active_residents}/{mine.residents}, "
            f"{len(mine.activities)} activity types, {len(mine.shops)} shops")
        checked, differences = figures.check_closed_months(session)
        faults = [d for d in differences if d.grid_id == closed_months.WHOLE]
        log(f"closed months stored: {checked} rows recomputed from the ledger, {len(faults)} differ")
        if faults:
            failures.append(f"{len(faults)} stored closed months differ from the ledger")
        if args.check:
            started = time.perf_counter()
            reference = per_community(session, since=since, until=until, now=now)
            took = (time.perf_counter() - started) * 1000
            differ = same_as_per_community(found, reference)
            log(f"one summary per community, summed: {took:.0f} ms (once); district_summary "
                f"{'equals it' if not differ else 'DIFFERS in ' + ', '.join(differ)}")
            if differ:
                failures.append("district_summary differs from the per-community sum: " + ", ".join(differ))
        for name, call in calls.items():
            log(f"\n===== {name}: EXPLAIN (ANALYZE, BUFFERS) of each statement")
            for statement, count, plan in explain(session, recorder, call):
                log(f"-- sent {count}×: " + " ".join(statement.split())[:400])
                log(plan)
                for table in WATCHED:
                    if f"Seq Scan on {table}" in plan:
                        if rows.get(table, 0) >= BIG and name != BATCH:
                            failures.append(f"{name}: Seq Scan on {table} ({rows[table]:,} rows)")
                        else:
                            why = "the batch job" if name == BATCH else "small"
                            log(f"  note: Seq Scan on {table} ({rows.get(table, 0):,} rows, {why})")
        session.rollback()
    engine.dispose()
    log("\nsummary (ms):")
    for name, (median, p95) in results.items():
        log(f"  {name:30} median {median:8.1f}   p95 {p95:8.1f}")
    if args.json:
        print(json.dumps({"scale": info["scale"], "communities": info["communities"],
                          "ms": {name: [round(m, 1), round(p, 1)] for name, (m, p) in results.items()},
                          "failures": failures}, ensure_ascii=False))
    if failures:
        raise SystemExit("failed:\n" + "\n".join(failures))


if __name__ == "__main__":
    main()
