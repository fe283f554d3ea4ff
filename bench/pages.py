"""Every page of every role at county scale: its time and the plan of every statement.

    .venv/bin/python bench/seed_scale.py [--scale 0.01]   # first: the county's database
    .venv/bin/python bench/pages.py [--quick] [--json]

On the database ``bench/seed_scale.py`` filled (``jifen_bench_reports`` by default), signs
in as one person of each role of the busiest community (the resident with the most ledger
entries, then the first by id of its shop owners, grid workers, staff and directors; and
the first district administrator) and opens, through the Flask test client, every page
the URL map has that takes no URL parameters, plus the pages of that person's own things (a voucher, an
activity, the resident's page and card for staff, the shop's page). Downloads are left out
(bench/exports.py measures them).

For each page that answers 200 it prints the median and p95 time of the calls after a
warm-up and the number of statements, then the ``EXPLAIN (ANALYZE, BUFFERS)`` plan of every
distinct statement the page sends (bench/reports.py's recorder). Exits non-zero when a page
takes 1 s or more at p95, answers 5xx, or reads ``ledger_transfers``, ``ledger_entries``,
``credits``, ``users``, ``households`` or ``vouchers`` with a Seq Scan while that table
holds 100,000 rows or more. ``--plans`` prints the plans (long); without it only breaches
are shown. Not part of the pytest suite.
"""
import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.reports import BIG, WATCHED, Recorder, explain, table_rows, timed  # noqa: E402
from bench.seed_scale import DEFAULT_URL  # noqa: E402
from merchants.models import Voucher  # noqa: E402
from points import create_app  # noqa: E402
from points.activities.models import Activity  # noqa: E402
from points.auth.models import User  # noqa: E402
from points.config import TestConfig  # noqa: E402
from points.extensions import db  # noqa: E402

LIMIT_MS = 1000
SKIPPED_SUFFIXES = (".csv", ".xlsx", "/export", "/download", "/template")


class BenchConfig(TestConfig):
    """The test settings (CSRF off, no secure cookies), real password hashing unused."""

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}


def plain_pages(app):
    """Every GET page without URL parameters, outside the API, static files and downloads."""
    paths = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
            continue
        if rule.rule.startswith(("/api/", "/healthz", "/bench/")) or rule.rule.endswith(SKIPPED_SUFFIXES):
            continue
        paths.add(rule.rule)
    return sorted(paths)


def people(session):
    """One user of each role in the community with the most ledger entries; the resident
    with the most entries there; the district administrator."""
    community = session.execute(text(
        "SELECT community_id FROM ledger_transfers GROUP BY community_id ORDER BY count(*) DESC LIMIT 1"
    )).scalar()
    resident = session.execute(text(
        "SELECT u.id FROM users u JOIN ledger_accounts a ON a.owner_type = 'resident' AND a.owner_id = u.id "
        "JOIN ledger_entries e ON e.account_id = a.id WHERE u.community_id = :c AND u.role = 'resident' "
        "AND u.active GROUP BY u.id ORDER BY count(*) DESC LIMIT 1"), {"c": community}).scalar()
    chosen = {"resident": resident}
    for role in ("merchant_owner", "grid_worker", "staff", "admin"):
        chosen[role] = session.scalar(select(User.id).where(User.community_id == community, User.role == role)
                                      .order_by(User.id).limit(1))
    chosen["district_admin"] = session.scalar(select(User.id).where(User.role == "district_admin")
                                              .order_by(User.id).limit(1))
    return community, {role: user for role, user in chosen.items() if user is not None}


def own_pages(session, community, role, user_id):
    """The pages of this person's own things, which take an id."""
    if role == "resident":
        voucher = session.scalar(select(Voucher.id).where(Voucher.user_id == user_id)
                                 .order_by(Voucher.id.desc()).limit(1))
        activity = session.scalar(select(Activity.id).where(Activity.community_id == community)
                                  .order_by(Activity.id.desc()).limit(1))
        return [path for path in (voucher and f"/vouchers/{voucher}", activity and f"/activities/{activity}")
                if path]
    if role in ("staff", "admin"):
        resident = session.execute(text(
            "SELECT id FROM users WHERE community_id = :c AND role = 'resident' ORDER BY id LIMIT 1"),
            {"c": community}).scalar()
        shop = session.execute(text("SELECT id FROM merchants WHERE community_id = :c ORDER BY id LIMIT 1"),
                               {"c": community}).scalar()
        return [f"/staff/residents/{resident}", f"/staff/residents/{resident}/card", f"/staff/shops/{shop}"]
    return []


def signed_in_client(app, user_id):
    client = app.test_client()
    with client.session_transaction() as http_session:
        http_session["_user_id"] = str(user_id)
        http_session["_fresh"] = True
    return client


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_REPORTS_URL", DEFAULT_URL))
    parser.add_argument("--runs", type=int, default=5, help="timed calls of each page")
    parser.add_argument("--quick", action="store_true", help="2 timed calls instead of --runs")
    parser.add_argument("--plans", action="store_true", help="print every statement's plan")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    parser.add_argument("--only", help="only pages whose 'role path' contains this text")
    args = parser.parse_args()
    runs = 2 if args.quick else args.runs
    log = lambda line="": print(line, flush=True)  # noqa: E731
    app = create_app(BenchConfig(args.database_url, Path(tempfile.mkdtemp(prefix="jifen-pages-"))))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    failures, results, slowest = [], {}, (0, "")
    with app.app_context():  # requests below run outside it, each in its own context
        engine = db.engine
        session = db.session
        info = {name: json.loads(value) for name, value in session.execute(text("SELECT * FROM bench_info"))}
        rows = table_rows(session)
        community, chosen = people(session)
        own = {role: own_pages(session, community, role, user_id) for role, user_id in chosen.items()}
        log(f"PostgreSQL {session.scalar(text('SHOW server_version'))}; scale {info['scale']}: "
            f"{info['communities']} communities; community {community}")
        db.session.remove()
    log("rows: " + ", ".join(f"{name} {count:,}" for name, count in rows.items()) + "\n")
    # The district's pages read the figures the cron job stores (points/reports/snapshots.py);
    # run it as production does: recent months always, older ones when missing.
    started = time.perf_counter()
    refreshed = app.test_cli_runner().invoke(args=["reports", "refresh"])
    log(f"reports refresh (cron): {time.perf_counter() - started:.1f} s, "
        f"{len(refreshed.output.splitlines())} months computed")
    recorder = Recorder(engine)
    pages = plain_pages(app)
    with Session(engine) as session:
        for role, user_id in chosen.items():
            client = signed_in_client(app, user_id)
            for path in pages + own[role]:
                if args.only and args.only not in f"{role} {path}":
                    continue
                response = client.get(path)
                status = response.status_code
                response.close()
                if status >= 500:
                    failures.append(f"{role} {path}: {status}")
                if status != 200:
                    continue

                def call(path=path, client=client):
                    client.get(path).close()

                median, p95 = timed(call, runs)
                plans = explain(session, recorder, call)
                session.rollback()
                results[f"{role} {path}"] = (round(median, 1), round(p95, 1), len(plans))
                slowest = max(slowest, (p95, f"{role} {path}"))
                log(f"{role:15} {path:45} median {median:7.1f} ms  p95 {p95:7.1f} ms  "
                    f"{sum(count for _, count, _ in plans):3} statements")
                if p95 >= LIMIT_MS:
                    failures.append(f"{role} {path}: p95 {p95:.0f} ms ≥ {LIMIT_MS} ms")
                for statement, count, plan in plans:
                    breach = [table for table in WATCHED
                              if f"Seq Scan on {table}" in plan and rows.get(table, 0) >= BIG]
                    if breach:
                        failures.append(f"{role} {path}: Seq Scan on {', '.join(breach)}")
                    if args.plans or breach:
                        log(f"-- sent {count}×: " + " ".join(statement.split())[:400])
                        log(plan)
    log(f"\n{len(results)} pages; slowest p95 {slowest[0]:.1f} ms ({slowest[1]})")
    if args.json:
        print(json.dumps({"scale": info["scale"], "communities": info["communities"], "pages": len(results),
                          "slowest_p95_ms": round(slowest[0], 1), "slowest": slowest[1],
                          "ms": results, "failures": failures}, ensure_ascii=False))
    if failures:
        raise SystemExit("failed:\n" + "\n".join(failures))


if __name__ == "__main__":
    main()
