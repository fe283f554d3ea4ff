"""Peak memory of a year's journal as CSV and as XLSX, for N and 10×N transfers.

The reports stream: ``points.reports.tables`` reads the journal in keyset batches and
``points.reports.exports`` writes CSV chunks or a write-only XLSX to a temporary file. If
they do, the peak memory (``tracemalloc``) of writing 10×N rows is about that of N rows;
if something held the whole table, it would be about ten times as much.

    .venv/bin/python bench/exports.py            # N = 5,000 (about two minutes)
    .venv/bin/python bench/exports.py --rows 2000 --json

Seeds a SQLite file in a temporary directory directly (one community, 200 residents with
accounts, N transfers spread over the last year, inserted in bulk), then measures each
file twice (N and 10×N). Not part of the pytest suite.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert  # noqa: E402

import ledger  # noqa: E402
from ledger.models import Account, Base, Transfer  # noqa: E402
from points.timeutil import utcnow  # noqa: E402

RESIDENTS = 200
KINDS = ("earn", "grant", "hold", "redeem", "refund")


def seed(url, community_id, rows, start_key, until):
    """``rows`` transfers from the issuance account to random residents' wallets, spread
    evenly over the year before ``until``; the accounts once."""
    from points.auth.models import User
    from points.communities.models import Community

    engine = create_engine(url)
    with engine.begin() as connection:
        if start_key == 0:
            connection.execute(insert(Community), [{"id": community_id, "name": "基准社区", "code": "bench"}])
            connection.execute(insert(User), [
                {"id": i, "community_id": community_id, "phone": f"139{i:08d}", "name": f"居民{i}",
                 "role": "resident", "password_hash": "-"} for i in range(1, RESIDENTS + 1)])
            connection.execute(insert(Account), [
                {"id": 1, "community_id": community_id, "ledger": "POINTS", "owner_type": "community",
                 "owner_id": community_id, "purpose": "issuance", "allow_negative": True}] + [
                {"id": 1 + i, "community_id": community_id, "ledger": "POINTS", "owner_type": "resident",
                 "owner_id": i, "purpose": "main", "allow_negative": False} for i in range(1, RESIDENTS + 1)])
        step = timedelta(days=365) / rows
        batch = []
        for n in range(rows):
            key = start_key + n
            batch.append({"community_id": community_id, "ledger": "POINTS", "key": f"bench-{key}",
                          "kind": KINDS[key % len(KINDS)], "amount": Decimal(1 + key % 50),
                          "debit_account_id": 1, "credit_account_id": 2 + key % RESIDENTS,
                          "reason": f"基准流水 {key}", "created_at": until - step * (n + 1)})
            if len(batch) == 5000:
                connection.execute(insert(Transfer), batch)
                batch = []
        if batch:
            connection.execute(insert(Transfer), batch)
    engine.dispose()


def measure(app, make, writer):
    """``(peak bytes, bytes written, seconds)`` of writing one sheet: timed untraced, then
    written again under ``tracemalloc`` for the peak."""
    from points.extensions import db

    with app.test_request_context():
        began = time.perf_counter()
        size = sum(len(block) for block in writer(make(db.session)))
        seconds = time.perf_counter() - began
        sheet = make(db.session)
        tracemalloc.start()
        for _block in writer(sheet):
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        db.session.remove()
    return peak, size, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000, help="N (the second run has 10×N)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON line")
    args = parser.parse_args()

    from points import create_app
    from points.config import TestConfig
    from points.reports import exports, tables

    workdir = tempfile.mkdtemp(prefix="jifen-bench-exports-")
    url = f"sqlite:///{os.path.join(workdir, 'bench.db')}"
    engine = ledger.install(create_engine(url))
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app(TestConfig(url, Path(workdir) / "instance"))
    until = utcnow()
    since = until - timedelta(days=366)

    def journal(session):
        return tables.journal(session, community_id=1, since=since, until=until)

    results, seeded = {}, 0
    seed(url, 1, 10, 0, until)  # a first small run loads what any first file loads (catalogues, modules)
    seeded = 10
    for writer in (exports.csv_chunks, exports.xlsx_blocks):
        measure(app, journal, writer)
    for rows in (args.rows, args.rows * 10):
        seed(url, 1, rows - seeded, seeded, until)
        seeded = rows
        for fmt, writer in (("csv", exports.csv_chunks), ("xlsx", exports.xlsx_blocks)):
            peak, size, seconds = measure(app, journal, writer)
            results[f"{fmt}_{rows}"] = {"peak_mib": round(peak / 2**20, 2),
                                        "file_mib": round(size / 2**20, 2), "seconds": round(seconds, 1)}
            print(f"{fmt:4} {rows:>8} rows: peak {peak / 2**20:7.2f} MiB, file {size / 2**20:7.2f} MiB, "
                  f"{seconds:6.1f} s", flush=True)
    for fmt in ("csv", "xlsx"):
        ratio = results[f"{fmt}_{args.rows * 10}"]["peak_mib"] / results[f"{fmt}_{args.rows}"]["peak_mib"]
        results[f"ratio_{fmt}"] = round(ratio, 2)
        print(f"{fmt}: peak memory at 10×N ÷ at N = {ratio:.2f} (streaming: about 1, in memory: about 10)")
    if args.json:
        print(json.dumps(results))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
