"""The batch jobs at county scale: points expiry, coupons of every community, badge
evaluation and settlement of every shop, each timed, run again (it must post nothing),
and killed midway with SIGKILL then resumed (the books must come out as a clean run's).

    .venv/bin/python bench/batch.py --scale 0.1          # its own seeded database, minutes
    .venv/bin/python bench/batch.py                      # jifen_bench_reports as seeded

With ``--scale`` the bench seeds its own database (``jifen_bench_batch``, dropped and
created by ``bench/seed_scale.py``'s loader) with a history that ends on
``--seed-now`` (default 2026-01-01 00:30 in Shanghai): just past a year end and before
that month's coupons (2nd) and settlements (3rd), so every job has its real work to do
today: the year before last expires, December's coupons and settlements are due. It
then copies that database (``CREATE DATABASE … TEMPLATE``) for the kill check, which
replays the same jobs on the copy, each killed with SIGKILL once half its chunks are
reported, rerun to the end, and compared with the clean run by content (counts and sums
per job); ``flask ledger verify`` must pass on both.

Without ``--scale`` it runs against ``--database-url`` (default the full-scale
``jifen_bench_reports`` of ``bench/seed_scale.py``), which it changes (rows are added:
expiries, coupons, badges, settlements; nothing is dropped). Its seed ran to its own
``now`` and left no ended month unsettled and no past month without coupons, so there
the coupons are this month's (so far), settlements are last month's (already settled by
the seed: the run measures finding that out) and expiry is as of today. The kill check
there kills and resumes each job, then checks that a further rerun posts nothing and
that the ledger verifies (there is no clean copy to compare with).

Jobs run as ``flask --app wsgi …`` subprocesses with ``DATABASE_URL`` set. Not part of
the pytest suite.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url, text  # noqa: E402

from bench import seed_scale  # noqa: E402
from points.months import month_of, preceding, this_month  # noqa: E402
from points.timeutil import local, utcnow  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/jifen_bench_reports"
OWN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/jifen_bench_batch"
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
# The rows each job writes, counted by id above the start and by kind: other runs may be
# writing to the same database at the time (a ledger entry is two per transfer: not counted).
JOB_ROWS = {
    "expire": {"ledger_transfers": "kind = 'expire'"},
    "coupons": {"ledger_transfers": "kind = 'coupon'", "coupons": "true",
                "notifications": "kind = 'coupon_issued'", "audit_events": "action = 'coupon.issue'"},
    "gamification": {"badge_awards": "true", "monthly_tallies": "true",
                     "notifications": "kind = 'badge'"},
    "settlements": {"ledger_transfers": "kind IN ('settle', 'settlement')", "settlements": "true",
                    "notifications": "kind = 'settlement'", "audit_events": "action = 'settlement.run'"},
}
TABLES = sorted({table for rows in JOB_ROWS.values() for table in rows})
PROGRESS = re.compile(r"^(?:expiry|coupons \S+|gamification|settlements \S+): (\d+)/(\d+) ")

# What a job's result is, by content: the clean run and the killed-and-resumed one must agree.
FINGERPRINTS = {
    "expire": "SELECT count(*), coalesce(sum(amount), 0) FROM ledger_transfers WHERE kind = 'expire'",
    "coupons": "SELECT count(*), coalesce(sum(points), 0), count(DISTINCT user_id) FROM coupons",
    "gamification": "SELECT (SELECT count(*) FROM badge_awards), (SELECT count(*) FROM standings), "
                    "(SELECT coalesce(sum(points), 0) FROM standings), "
                    "(SELECT count(*) FROM monthly_tallies)",
    "settlements": "SELECT count(*), coalesce(sum(points), 0), coalesce(sum(amount_cny), 0), "
                   "(SELECT count(*) FROM vouchers WHERE settlement_id IS NULL AND "
                   "status IN ('redeemed', 'refunded')) FROM settlements",
}


def log(line):
    print(line, flush=True)


def job_args(name, months):
    return {"expire": ["ledger", "expire", "--as-of", months["as_of"]],
            "coupons": ["coupons", "issue", "--month", months["coupons"], "--all"],
            "gamification": ["gamification", "refresh"] + (
                ["--community", months["gamification"]] if months["gamification"] else []),
            "settlements": ["settlements", "run", "--month", months["settlements"]]}[name]


# Seeding our own database -------------------------------------------------------------

def seed(url, scale, now):
    from bench.county_community import COMMUNITIES
    from bench.seed_scale import County, CountyTables, check_columns, load, recreate

    check_columns()
    communities = max(2, round(COMMUNITIES * scale))
    started = time.perf_counter()
    recreate(url)
    log(f"seeding {make_url(url).database}: {communities} communities to {now.isoformat()}")
    directory = tempfile.mkdtemp(prefix="jifen_bench_batch_")
    try:
        tables = CountyTables(directory)
        County(tables, communities, now).build(log)
        tables.info = {"scale": scale, "communities": communities, "now": now.isoformat(),
                       "rows": tables.counts}
        load(tables, url, log)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    log(f"seeded in {time.perf_counter() - started:.0f} s: "
        f"{tables.counts['ledger_transfers']:,} transfers, {tables.counts['ledger_entries']:,} entries")


def copy_database(url, copy):
    url = make_url(url)
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{copy}" TEMPLATE "{url.database}"'))
    server.dispose()
    return url.set(database=copy).render_as_string(hide_password=False)


def drop_database(url):
    url = make_url(url)
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    server.dispose()


# Running and measuring ----------------------------------------------------------------

def seed_now(engine):
    with engine.connect() as connection:
        value = connection.execute(text("SELECT value FROM bench_info WHERE name = 'now'")).scalar()
    return datetime.fromisoformat(json.loads(value))


def high_marks(engine):
    with engine.connect() as connection:
        return {table: connection.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar()
                for table in TABLES}


def new_rows(engine, marks, name):
    with engine.connect() as connection:
        return {table: connection.execute(text(f"SELECT count(*) FROM {table} WHERE id > :mark "
                                               f"AND {where}"), {"mark": marks[table]}).scalar()
                for table, where in JOB_ROWS[name].items()}


def fingerprint(engine, name):
    with engine.connect() as connection:
        return [str(value) for value in connection.execute(text(FINGERPRINTS[name])).one()]


def environment(url):
    return {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}


def run(url, args, *, kill_at=None, echo=False):
    """Run ``flask …``; with ``kill_at`` (a share of the chunks), SIGKILL it once a progress
    line reports that share done. Returns ``(seconds, exit code, last line, killed)``."""
    started = time.perf_counter()
    process = subprocess.Popen(FLASK + args, cwd=ROOT, env=environment(url), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    last, killed = "", False
    for line in process.stdout:
        line = line.rstrip("\n")
        if line:
            last = line
        if echo:
            log(f"    | {line}")
        found = PROGRESS.match(line)
        # Only while chunks are left: a job whose last count line reaches the share has
        # finished, and killing it then would prove nothing (reported as "NOT killed").
        if (kill_at is not None and found and int(found[2]) * kill_at <= int(found[1]) < int(found[2])):
            process.send_signal(signal.SIGKILL)
            killed = True
            break
    process.stdout.close()
    code = process.wait()
    return time.perf_counter() - started, code, last, killed


def verify_ledger(url):
    started = time.perf_counter()
    result = subprocess.run(FLASK + ["ledger", "verify"], cwd=ROOT, env=environment(url),
                            text=True, capture_output=True)
    return result.stdout.strip().splitlines()[-1:] == ["OK"], time.perf_counter() - started


def measure(url, name, months, echo):
    """The job once, then again at once; new rows of each."""
    engine = create_engine(url)
    args = job_args(name, months)
    log(f"{name}: flask {' '.join(args)}")
    marks = high_marks(engine)
    seconds, code, last, _ = run(url, args, echo=echo)
    rows = new_rows(engine, marks, name)
    marks = high_marks(engine)
    again, again_code, again_last, _ = run(url, args)
    rows_again = sum(new_rows(engine, marks, name).values())
    found = {"job": name, "seconds": round(seconds, 1), "exit": code, "rows": sum(rows.values()),
             "rows_per_s": round(sum(rows.values()) / seconds), "by_table":
             {t: n for t, n in rows.items() if n}, "summary": last,
             "rerun_seconds": round(again, 1), "rerun_exit": again_code, "rerun_rows": rows_again,
             "rerun_summary": again_last, "fingerprint": fingerprint(engine, name)}
    engine.dispose()
    log(f"  {seconds:7.1f} s  exit {code}  {found['rows']:,} new rows ({found['rows_per_s']:,}/s)  "
        f"{found['by_table']}")
    log(f"  {last}")
    log(f"  rerun {again:5.1f} s  exit {again_code}  {rows_again} new rows  {again_last}")
    return found


def kill_and_resume(url, name, months, share):
    """The job killed once ``share`` of its chunks are done, then run to the end, then once
    more (nothing new); what it left, and whether the ledger verifies."""
    engine = create_engine(url)
    args = job_args(name, months)
    killed_after, _code, _last, killed = run(url, args, kill_at=share)
    resumed, code, last, _ = run(url, args)
    marks = high_marks(engine)
    _again, _code, _last, _ = run(url, args)
    rows_again = sum(new_rows(engine, marks, name).values())
    found = {"job": name, "killed": killed, "killed_after_seconds": round(killed_after, 1),
             "resumed_seconds": round(resumed, 1), "resumed_exit": code, "resumed_summary": last,
             "rows_after_resume_rerun": rows_again, "fingerprint": fingerprint(engine, name)}
    engine.dispose()
    log(f"  {name}: {'killed' if killed else 'NOT killed (ended first)'} after "
        f"{killed_after:.1f} s; resumed in {resumed:.1f} s (exit {code}); a further rerun "
        f"added {rows_again} rows")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None,
                        help=f"run against this database (default {DEFAULT_URL}, or "
                             f"{OWN_URL} with --scale)")
    parser.add_argument("--scale", type=float, default=None,
                        help="seed our own database first, with this share of the 200 communities")
    parser.add_argument("--seed-now", default="2025-12-31T16:30:00+00:00",
                        help="where the --scale seed's history ends (UTC, ISO)")
    parser.add_argument("--jobs", default="expire,coupons,gamification,settlements")
    parser.add_argument("--as-of", default=None, help="expiry's local date (default: today)")
    parser.add_argument("--coupons-month", default=None)
    parser.add_argument("--settlements-month", default=None)
    parser.add_argument("--gamification-community", default=None, metavar="CODE",
                        help="refresh only this community (e.g. bench001), to time one and "
                             "multiply: the whole county takes long")
    parser.add_argument("--no-kill-check", action="store_true")
    parser.add_argument("--kill-at", type=float, default=0.5,
                        help="share of a job's chunks done when it is killed")
    parser.add_argument("--keep", action="store_true", help="keep our own databases")
    parser.add_argument("--echo", action="store_true", help="show the jobs' own output")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()
    own = args.scale is not None
    url = args.database_url or (OWN_URL if own else os.environ.get("BENCH_REPORTS_URL", DEFAULT_URL))
    if own:
        if make_url(url).database in ("jifen_bench_reports", "test", "postgres"):
            raise SystemExit(f"refusing to reseed {make_url(url).database}; name another database")
        seed(url, args.scale, datetime.fromisoformat(args.seed_now))
    seed_scale.advance_sequences(url)
    engine = create_engine(url)
    now = seed_now(engine)
    engine.dispose()
    months = {"as_of": args.as_of or local(utcnow()).date().isoformat(),
              "coupons": args.coupons_month or month_of(now - timedelta(days=1)),
              "settlements": args.settlements_month or month_of(preceding(this_month(now))),
              "gamification": args.gamification_community}
    jobs = args.jobs.split(",")
    log(f"{make_url(url).database}: history to {now.isoformat()}; expiry as of {months['as_of']}, "
        f"gamification {months['gamification'] or 'every community'}, "
        f"coupons {months['coupons']}, settlements {months['settlements']}; "
        f"nproc {os.cpu_count()}, load {os.getloadavg()[0]:.1f}")
    copy = None
    if own and not args.no_kill_check:
        copy = copy_database(url, make_url(url).database + "_kill")
    results = {"database": make_url(url).database, "history_to": now.isoformat(), **months,
               "jobs": [measure(url, name, months, args.echo) for name in jobs]}
    ok, seconds = verify_ledger(url)
    results["verify"] = {"ok": ok, "seconds": round(seconds, 1)}
    log(f"ledger verify: {'OK' if ok else 'FAILED'} ({seconds:.0f} s)")
    if not args.no_kill_check:
        target = copy or url
        log(f"kill check on {make_url(target).database}: SIGKILL at {args.kill_at:.0%} of the chunks")
        checks = [kill_and_resume(target, name, months, args.kill_at) for name in jobs]
        ok_copy, seconds = verify_ledger(target)
        for check, clean in zip(checks, results["jobs"]):
            check["same_as_clean"] = check["fingerprint"] == clean["fingerprint"] if copy else None
            if copy:
                log(f"  {check['job']}: {'same as the clean run' if check['same_as_clean'] else 'DIFFERS'}"
                    f" {check['fingerprint']} vs {clean['fingerprint']}")
        results["kill_check"] = {"jobs": checks, "verify_ok": ok_copy}
        log(f"ledger verify after the kill check: {'OK' if ok_copy else 'FAILED'} ({seconds:.0f} s)")
        if copy and not args.keep:
            drop_database(copy)
    if own and not args.keep:
        drop_database(url)
    if args.json:
        print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
