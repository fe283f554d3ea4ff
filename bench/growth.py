"""How the main costs grow with the county: 1 %, 10 % and 100 % of its data, one table.

    .venv/bin/python bench/growth.py                       # seeds 1 % and 10 %, reuses 100 %
    .venv/bin/python bench/growth.py --scales 0.01 0.1     # without the full county

For each scale it fills (or, with ``--reuse``, keeps) a database of its own with
``bench/seed_scale.py`` (``jifen_bench_scale1``, ``jifen_bench_scale10``; the full county is
``jifen_bench_reports``, which ``bench/seed_scale.py`` fills by default and is reused when it
holds scale 1.0), then runs ``bench/reports.py --quick --json`` and ``bench/pages.py --quick
--json`` on it and prints one Markdown table: rows of the big tables, the dashboard's
figures for one community and the district, the cron job, and the pages people open most
(home, statement, mall, leaderboard, dashboard, monthly sheet, claims queue, residents) as
p95 in ms, with the slowest page of all. A cost that stays flat while the ledger grows
100-fold reads its rows from an index or a kept total; one that grows with the county is a
batch job or a district figure. Not part of the pytest suite.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
FULL = f"{SERVER}/jifen_bench_reports"
PAGES = ("resident /home", "resident /me/statement", "resident /mall", "resident /leaderboard",
         "staff /staff/dashboard", "staff /staff/monthly", "staff /staff/claims", "staff /staff/residents",
         "district_admin /staff/dashboard")
FIGURES = ("summary, community", "summary_for, district admin", "district_summary (cron refresh)")


def url_for_scale(scale):
    return FULL if scale == 1.0 else f"{SERVER}/jifen_bench_scale{round(scale * 100)}"


def seeded_scale(url):
    """The scale a database was seeded at, or None when it is missing or not seeded."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            value = connection.execute(text("SELECT value FROM bench_info WHERE name = 'scale'")).scalar()
            return json.loads(value) if value else None
    except Exception:  # noqa: BLE001  (no database, no table: not seeded)
        return None
    finally:
        engine.dispose()


def last_json(command):
    run = subprocess.run([sys.executable, *command], cwd=ROOT, capture_output=True, text=True)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"{' '.join(command)} printed no JSON:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return json.loads(lines[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.01, 0.1, 1.0])
    parser.add_argument("--reuse", action="store_true", help="keep databases already seeded at their scale")
    args = parser.parse_args()
    columns = []
    for scale in args.scales:
        url = url_for_scale(scale)
        if seeded_scale(url) != scale or (not args.reuse and scale != 1.0):
            if scale == 1.0 and seeded_scale(url) is None:
                print("seeding the full county (about 20 minutes)", flush=True)
            print(f"seeding scale {scale} into {url.rsplit('/', 1)[1]}", flush=True)
            subprocess.run([sys.executable, "bench/seed_scale.py", "--scale", str(scale),
                            "--database-url", url],
                           cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        print(f"measuring scale {scale}", flush=True)
        reports = last_json(["bench/reports.py", "--quick", "--json", "--database-url", url])
        pages = last_json(["bench/pages.py", "--quick", "--json", "--database-url", url])
        engine = create_engine(url)
        with engine.connect() as connection:
            rows = json.loads(connection.execute(
                text("SELECT value FROM bench_info WHERE name = 'rows'")).scalar())
        engine.dispose()
        columns.append((scale, rows, reports, pages))
    header = "| figure | " + " | ".join(f"{scale:.0%}" for scale, *_ in columns) + " | growth |"
    lines = [header, "|---|" + "---:|" * (len(columns) + 1)]

    def row(name, values, unit=""):
        first, last = values[0], values[-1]
        growth = f"×{last / first:.1f}" if first else ""
        cells = [f"{value:,.0f}{unit}" if value >= 100 else f"{value:.1f}{unit}" for value in values]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {growth} |")

    for table in ("users", "ledger_transfers", "ledger_entries", "vouchers", "credits"):
        row(f"rows: {table}", [rows.get(table, 0) for _, rows, *_ in columns])
    for name in FIGURES:
        row(f"{name}, median ms", [reports["ms"][name][0] for _, _, reports, _ in columns])
    for name in PAGES:
        row(f"page {name}, p95 ms", [pages["ms"].get(name, [0, 0])[1] for *_, pages in columns])
    row("slowest page, p95 ms", [pages["slowest_p95_ms"] for *_, pages in columns])
    lines.append("")
    for scale, _, reports, pages in columns:
        lines.append(f"- {scale:.0%}: slowest page {pages['slowest']}; {pages['pages']} pages; failures: "
                     f"{'; '.join(reports['failures'] + pages['failures']) or 'none'}")
    print("\n".join(lines))


if __name__ == "__main__":
    try:
        main()
    except OperationalError as error:
        raise SystemExit(f"PostgreSQL: {error}") from None
