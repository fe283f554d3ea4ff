"""Five minutes of mixed load on loopback: no request fails, memory stays flat, the books
balance afterwards.

    .venv/bin/python bench/load.py --json            # about 9 minutes in all
    .venv/bin/python bench/load.py --minutes 1       # a shorter look

Seeds a small county (``bench/seed_scale.py --scale 0.02`` into ``jifen_bench_load``,
dropped at the end unless ``--keep``; or ``--database-url``), starts the service under
gunicorn with ``gunicorn.conf.py`` (as ``bench/http.py`` does; worker recycling off, so a
leak would show) and drives it with ``wrk`` at 8 connections with one request list mixing,
per 20 requests: 4 balances, 3 statements, 3 catalogues, 3 leaderboards, 1 staff
dashboard page (session cookie), 3 voucher creations and 3 redemptions by the shops' owners
of vouchers made beforehand (each code once: the list is long enough for the whole run,
or the run says it ran out).

Every 5 s it samples the resident memory (RSS) of gunicorn's master and workers. The
verdict: no failed request (wrk's connect, read, write, timeout and non-2xx/3xx counts),
the last minute's mean RSS within 10 % of the first minute's (after a 30 s warm-up), and
``ledger verify`` passing on the database afterwards. Not part of the pytest suite.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import http as bench  # noqa: E402  (its server, wrk script and seeding)

MIX = (("balance", 4), ("statement", 3), ("catalog", 3), ("leaderboard", 3), ("dashboard", 1),
       ("create", 3), ("redeem", 3))
PER_ROUND = sum(count for _, count in MIX)
FLAT = 0.10  # the last minute's mean RSS may exceed the first's by this share
DEFAULT_DB = "jifen_bench_load"


def rss_mib(server):
    total = 0
    for pid in [server.process.pid, *server.worker_pids()]:
        try:
            for row in Path(f"/proc/{pid}/status").read_text().splitlines():
                if row.startswith("VmRSS:"):
                    total += int(row.split()[1])
        except OSError:
            continue
    return total / 1024


class Sampler(threading.Thread):
    def __init__(self, server, every=5.0):
        super().__init__(daemon=True)
        self.server, self.every, self.samples, self.stop = server, every, [], threading.Event()
        self.started = time.monotonic()

    def run(self):
        while not self.stop.wait(self.every):
            self.samples.append((time.monotonic() - self.started, rss_mib(self.server)))


def mixed_lines(reads, creates, redeems, rounds):
    """``rounds`` rounds of MIX; reads and creations cycle, each redemption is used once
    (``redeems=None``: creations in their place, for a first look at the rate)."""
    kinds = {name: reads[name] for name in ("balance", "statement", "catalog", "leaderboard", "dashboard")}
    kinds["create"] = creates
    lines, used = [], {name: 0 for name, _ in MIX}
    for _ in range(rounds):
        for name, count in MIX:
            for _ in range(count):
                if name == "redeem" and redeems is not None:
                    lines.append(redeems[used[name]])
                elif name == "redeem":
                    lines.append(creates[used[name] % len(creates)])
                else:
                    lines.append(kinds[name][used[name] % len(kinds[name])])
                used[name] += 1
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the timed run")
    parser.add_argument("--database-url", help="use this database as it is (no seeding)")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install wrk")
    log = bench.log
    seconds = round(args.minutes * 60)
    info = bench.machine()
    log(f"machine: {info}")
    seeded = args.database_url is None
    url = args.database_url or bench.make_url(bench.SERVER_URL).set(database=DEFAULT_DB).render_as_string(
        hide_password=False)
    if seeded:
        bench.seed(url, 0.02)
    bench.seed_scale.advance_sequences(url)
    found = bench.prepare(url, bench.secrets.token_hex(4))
    directory = tempfile.mkdtemp(prefix="jifen_bench_load_")
    server = sampler = None
    try:
        server = bench.Server(url, directory)
        load = bench.Load(server, directory)
        cookies = [server.sign_in(phone) for phone in found.staff]
        reads = bench.read_lines(server, found, cookies)
        creates, _ = bench.create_lines(server, found)
        log(f"gunicorn on {server.base}: {server.workers} workers; wrk -t{bench.WRK_THREADS} "
            f"-c{bench.CONNECTIONS}; {seconds} s of mixed load")
        # How fast does the mix go? Then make enough vouchers for the whole run's redemptions.
        probe = load.run("probe", mixed_lines(reads, creates, None, 200), 20)
        bench.show(probe)
        needed = int(probe["rps"] * seconds * 3 / PER_ROUND * 1.5) + 300
        vouchers, _ = bench.pending(url, found, set())
        while len(vouchers) < needed:
            made = load.run("make-vouchers", creates, max(5, round((needed - len(vouchers)) / 40)))
            log(f"  made {made['requests']} vouchers for the redemptions ({made['errors']} errors)")
            vouchers, _ = bench.pending(url, found, set())
        redeems, _ = bench.redeem_lines(server, found, vouchers, [])
        rounds = len(redeems) // 3
        lines = mixed_lines(reads, creates, redeems, rounds)
        log(f"{len(lines):,} requests in the list ({len(redeems):,} distinct redemptions)")
        sampler = Sampler(server)
        sampler.start()
        result = load.run("mixed", lines, seconds)
        sampler.stop.set()
        sampler.join()
        bench.show(result)
    finally:
        if server is not None:
            server.close()
        shutil.rmtree(directory, ignore_errors=True)

    samples = sampler.samples
    first = [mib for at, mib in samples if 30 <= at < 90]
    last = [mib for at, mib in samples if at >= samples[-1][0] - 60]
    growth = (sum(last) / len(last)) / (sum(first) / len(first)) - 1 if first and last else 0.0
    log("memory (RSS of gunicorn, MiB) every 5 s: " + " ".join(f"{mib:.0f}" for _, mib in samples))
    log(f"first minute {sum(first) / max(1, len(first)):.0f} MiB, last minute "
        f"{sum(last) / max(1, len(last)):.0f} MiB: {growth:+.1%}")
    try:
        bench.verify(url)
        verified = "passed"
    except SystemExit:  # the checks printed the violations
        verified = "failed"
    failures = [] if verified == "passed" else ["ledger verify found violations"]
    if result["errors"]:
        failures.append(f"{result['errors']} failed requests {result['error_kinds']}")
    if result["wrapped"]:
        failures.append("the request list ran out (redemptions repeated)")
    if growth > FLAT:
        failures.append(f"memory grew {growth:.1%}")
    if seeded and not args.keep:
        bench.drop(url)
    summary = {**info, "seconds": seconds, "requests": result["requests"], "rps": round(result["rps"], 1),
               "p50_ms": round(result["p50_ms"], 1), "p99_ms": round(result["p99_ms"], 1),
               "errors": result["errors"], "memory_first_mib": round(sum(first) / max(1, len(first))),
               "memory_last_mib": round(sum(last) / max(1, len(last))), "memory_growth": round(growth, 4),
               "ledger_verify": verified, "loadavg_end": round(os.getloadavg()[0], 2), "failures": failures}
    log("verdict: " + ("held" if not failures else "; ".join(failures)))
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
