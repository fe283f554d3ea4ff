"""The service over HTTP: gunicorn on loopback, driven by ``wrk``, against baselines of the
same server in the same run.

    .venv/bin/python bench/http.py --quick --json      # a few minutes, 4 communities
    .venv/bin/python bench/http.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/jifen_bench_reports

Reads (balance, statement, catalogue, leaderboard, dashboard) are compared with
``GET /bench/bare`` (a tiny JSON answer, no database) run just before each of them; writes
(voucher creation, redemption) with ``bench/endpoints.py``'s endpoints that write the same
ledger rows with raw ``psycopg``. 8 connections, ``wrk -t2``. Without ``--database-url``
the county is seeded into ``jifen_bench_http`` by ``bench/seed_scale.py`` (dropped at the
end unless ``--keep``); with it, that database is used as it is (writes add rows to it).
Needs ``wrk`` (``apt-get install wrk``). Not part of the pytest suite.
"""
import os
import sys

if __name__ == "http":
    # Another script of bench/ runs (``python bench/seed_scale.py`` puts bench/ first on
    # sys.path) and something imports the standard library's ``http``: hand that over.
    _saved = sys.path[:]
    _bench = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != _bench]
    del sys.modules["http"]
    try:
        import http as _standard
    finally:
        sys.path[:] = _saved
    sys.modules["http"] = _standard

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if __name__ != "http":
    # This file is called http.py: make ``import http`` find the standard library, not it.
    sys.path[:] = [p for p in sys.path if Path(p or os.getcwd()).resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

    import psycopg
    import requests
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.orm import Session

    import ledger
    import points.models  # noqa: F401  (every table on the one metadata)
    from bench import seed_scale
    from points import wallets
    from points.auth.models import User
    from points.auth.passwords import hash_password
    from points.auth.services import issue_token
    from points.timeutil import utcnow

DEFAULT_DB = "jifen_bench_http"
SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CONNECTIONS = 8
WRK_THREADS = 2
COMMUNITIES = 4  # the bench's residents and shops come from the first four communities
PER_COMMUNITY = 50  # residents with a token, per community
FUNDING = Decimal(100_000)  # points per resident: 1-point vouchers never run dry
PASSWORD = "bench-http-" + secrets.token_hex(4)
READS = ("balance", "statement", "catalog", "leaderboard", "dashboard")
READ_TARGET, WRITE_TARGET = 0.5, 0.6
P99_READ_MS, P99_WRITE_MS, SLOW_PAGE_MS = 50, 100, 1000

# One Lua state per wrk thread: each takes every n-th line of the request file (so no two
# threads send the same voucher), sends them in turn and counts how often it wrapped.
LUA = r"""
local lines, n, i = {}, 0, 0
wrapped = 0
local threads, counter = {}, 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  local nthreads, k = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if k % nthreads == tid then
      local method, target, headers, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local h = {}
      for name, value in headers:gmatch("([^|:]+): ([^|]*)") do h[name] = value end
      if body == "" then body = nil end
      n = n + 1
      lines[n] = wrk.format(method, target, h, body)
    end
    k = k + 1
  end
end
function request()
  i = i + 1
  if i > n then i = 1; wrapped = wrapped + 1 end
  return lines[i]
end
function done(summary, latency, requests)
  local w = 0
  for _, t in ipairs(threads) do w = w + (t:get("wrapped") or 0) end
  local e = summary.errors
  io.write(string.format('JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"max_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, '
    .. '"wrapped": %d}\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout, w))
end
"""


def log(line=""):
    print(line, flush=True)


# The database ---------------------------------------------------------------------------

def seed(url, scale):
    log(f"seeding {make_url(url).database} with bench/seed_scale.py --scale {scale}")
    subprocess.run([sys.executable, str(ROOT / "bench" / "seed_scale.py"), "--scale", str(scale),
                    "--database-url", url], check=True, cwd=ROOT)


def drop(url):
    name = make_url(url).database
    server = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def prepare(url, run_tag):
    """Tokens for residents and shop owners, a staff password, funded wallets; the ids the
    baselines need. Returns a namespace of what the scenarios send."""
    engine = ledger.install(create_engine(url))
    now = utcnow()
    found = SimpleNamespace(residents=[], shops={}, staff=[])
    with Session(engine) as session:
        communities = session.scalars(text(
            "SELECT id FROM communities ORDER BY id LIMIT :n"), dict(n=COMMUNITIES)).all()
        for c in communities:
            shop, owner = session.execute(text(
                "SELECT m.id, u.id FROM merchants m JOIN users u ON u.merchant_id = m.id "
                "AND u.role = 'merchant_owner' AND u.active WHERE m.community_id = :c "
                "AND m.status = 'active' ORDER BY m.id LIMIT 1"), dict(c=c)).one()
            staff = session.scalar(text("SELECT id FROM users WHERE community_id = :c AND "
                                        "role = 'staff' AND active ORDER BY id LIMIT 1"), dict(c=c))
            people = session.scalars(text(
                "SELECT id FROM users WHERE community_id = :c AND role = 'resident' AND active "
                "ORDER BY id LIMIT :n"), dict(c=c, n=PER_COMMUNITY)).all()
            with ledger.write_transaction(session):
                escrow = ledger.system_account(session, c, ledger.POINTS, "escrow")
                shop_account = wallets.merchant_account_id(
                    session, SimpleNamespace(id=shop, community_id=c))
                for person in people:
                    user = session.get(User, person)
                    account = wallets.wallet_id(session, user)
                    wallets.credit_points(session, account=account, community_id=c,
                                          amount=FUNDING, key=f"bench-http:{run_tag}:{person}",
                                          kind="grant", reason="bench")
                    found.residents.append(SimpleNamespace(id=person, community=c, wallet=account))
                session.execute(text("UPDATE users SET password_hash = :h, must_change_password "
                                     "= false WHERE id = :id"),
                                dict(h=hash_password(PASSWORD), id=staff))
            found.shops[c] = SimpleNamespace(id=shop, owner=owner, account=shop_account,
                                             escrow=escrow)
            phone = session.scalar(text("SELECT phone FROM users WHERE id = :id"), dict(id=staff))
            found.staff.append(phone)
        for person in found.residents:
            person.token, _ = issue_token(session, user=session.get(User, person.id), now=now,
                                          ttl=timedelta(days=2), label="bench")
        for shop in found.shops.values():
            shop.token, _ = issue_token(session, user=session.get(User, shop.owner), now=now,
                                        ttl=timedelta(days=2), label="bench")
        found.hold_floor = session.scalar(text("SELECT coalesce(max(id), 0) FROM ledger_holds"))
        found.voucher_floor = session.scalar(text("SELECT coalesce(max(id), 0) FROM vouchers"))
    engine.dispose()
    return found


def pending(url, found, used):
    """Vouchers (code, community) and raw holds made by this run and not yet redeemed."""
    with psycopg.connect(make_url(url).set(drivername="postgresql")
                         .render_as_string(hide_password=False)) as connection:
        vouchers = connection.execute(
            "SELECT id, code, community_id FROM vouchers WHERE id > %s AND status = 'held' "
            "ORDER BY id", (found.voucher_floor,)).fetchall()
        holds = connection.execute(
            "SELECT h.id FROM ledger_holds h JOIN ledger_transfers t ON t.id = h.hold_transfer_id "
            "WHERE h.id > %s AND h.status = 'pending' AND t.key LIKE 'bench-hold:%%' ORDER BY h.id",
            (found.hold_floor,)).fetchall()
    return ([(code, c) for id_, code, c in vouchers if ("v", id_) not in used],
            [hold for (hold,) in holds if ("h", hold) not in used])


def verify(url):
    from bench.seed_scale import verify as ledger_verify

    started = time.perf_counter()
    log("ledger verify:")
    ledger_verify(url, log)
    log(f"  passed in {time.perf_counter() - started:.0f} s")


# The server ---------------------------------------------------------------------------

def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with gunicorn.conf.py, on a free loopback port."""

    def __init__(self, url, directory):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {key: value for key, value in os.environ.items()
               if key not in ("REDIS_URL", "GUNICORN_WORKERS", "WEB_CONCURRENCY")}
        env.update(DATABASE_URL=url, BIND=f"127.0.0.1:{self.port}", JIFEN_SECURE_COOKIES="0",
                   JIFEN_BENCH_ENDPOINTS="1", SECRET_KEY=secrets.token_hex(32),
                   JIFEN_INSTANCE=str(Path(directory) / "instance"),
                   # A worker replaced every 2,000 requests would restart every few seconds
                   # at these rates and tax a fast endpoint more than a slow one.
                   GUNICORN_MAX_REQUESTS="0")
        self.errors = open(Path(directory) / "gunicorn.log", "w")
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.errors)
        try:
            self._wait()
        except BaseException:
            self.close()
            raise
        self.workers = len(self.worker_pids())

    def _wait(self):
        """Until it answers and every worker has imported the app (the server is idle)."""
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(self.base + "/bench/bare", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start; see {self.errors.name}")
            time.sleep(0.5)
        self.settle(deadline - time.monotonic())

    def settle(self, limit=30):
        """Wait until the workers are idle: requests a finished run left behind (wrk closes
        its connections, a worker still serves what they sent) must not slow the next run,
        nor hold its connections in a busy worker until gunicorn's keep-alive closes them."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            before = self.cpu_seconds()
            time.sleep(0.5)
            if self.cpu_seconds() - before < 0.05:
                return

    def worker_pids(self):
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return pids

    def cpu_seconds(self):
        """User + system CPU of the master and its workers so far."""
        total = 0
        for pid in [self.process.pid, *self.worker_pids()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def sign_in(self, phone):
        """A staff session cookie, through the sign-in form as a browser gets it."""
        browser = requests.Session()
        page = browser.get(self.base + "/sign-in", timeout=10).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        answer = browser.post(self.base + "/sign-in", timeout=30, data=dict(
            csrf_token=token, phone=phone, password=PASSWORD))
        if "session" not in browser.cookies or "/sign-in" in answer.url:
            raise SystemExit(f"staff {phone} could not sign in ({answer.status_code})")
        return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())

    def close(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.errors.close()


# Load ---------------------------------------------------------------------------------

def line(method, target, headers, body=None):
    head = "|".join(f"{name}: {value}" for name, value in headers.items())
    return f"{method}\t{target}\t{head}\t{json.dumps(body) if body is not None else ''}"


def machine_busy():
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class Load:
    def __init__(self, server, directory):
        self.server, self.directory = server, Path(directory)
        self.script = self.directory / "bench.lua"
        self.script.write_text(LUA)

    def run(self, name, lines, duration):
        """One bounded wrk run; returns its figures (rps, p50/p99 ms, errors, CPU shares)."""
        path = self.directory / f"{name}.txt"
        path.write_text("\n".join(lines) + "\n")
        self.server.settle()
        before_wrk = resource.getrusage(resource.RUSAGE_CHILDREN)
        before_server = self.server.cpu_seconds()
        busy_before, total_before = machine_busy()
        started = time.perf_counter()
        out = subprocess.run(
            ["wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{max(1, round(duration))}s",
             "--timeout", "10s",
             "-s", str(self.script), self.server.base, "--", str(path), str(WRK_THREADS)],
            capture_output=True, text=True, check=True)
        elapsed = time.perf_counter() - started
        after_wrk = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy_after, total_after = machine_busy()
        figures = json.loads(out.stdout.split("JSON ", 1)[1].splitlines()[0])
        wrk_cpu = (after_wrk.ru_utime + after_wrk.ru_stime
                   - before_wrk.ru_utime - before_wrk.ru_stime)
        seconds = figures["duration_us"] / 1e6
        errors = sum(figures[key] for key in ("connect", "read", "write", "status", "timeout"))
        return dict(
            name=name, rps=figures["requests"] / seconds, requests=figures["requests"],
            p50_ms=figures["p50_us"] / 1000, p99_ms=figures["p99_us"] / 1000,
            max_ms=figures["max_us"] / 1000, errors=errors, wrapped=figures["wrapped"],
            error_kinds={key: figures[key] for key in ("connect", "read", "write", "status",
                                                       "timeout") if figures[key]},
            # gunicorn's own CPU per answer: independent of what else the machine runs.
            cpu_ms=1000 * (self.server.cpu_seconds() - before_server) / max(1, figures["requests"]),
            wrk_cpu=wrk_cpu / elapsed, server_cpu=(self.server.cpu_seconds() - before_server) / elapsed,
            machine_busy=(busy_after - busy_before) / max(1, total_after - total_before))


def smoke(server, method, target, headers, body=None):
    answer = requests.request(method, server.base + target, headers=headers, json=body,
                              timeout=30, allow_redirects=False)
    if not 200 <= answer.status_code < 300:
        raise SystemExit(f"{method} {target}: {answer.status_code} {answer.text[:300]}")


def read_lines(server, found, cookies):
    host = {"Host": f"127.0.0.1:{server.port}"}
    bearer = [dict(host, Authorization=f"Bearer {p.token}") for p in found.residents]
    lines = {
        "bare": [line("GET", "/bench/bare", host)],
        "balance": [line("GET", "/api/v1/me/balance", h) for h in bearer],
        "statement": [line("GET", "/api/v1/me/statement", h) for h in bearer],
        "catalog": [line("GET", "/api/v1/catalog", h) for h in bearer],
        "leaderboard": [line("GET", f"/api/v1/leaderboard?period={period}", h)
                        for h in bearer for period in ("month", "all")],
        "dashboard": [line("GET", "/staff/dashboard", dict(host, Cookie=cookie))
                      for cookie in cookies],
    }
    for target, headers in (("/api/v1/me/balance", bearer[0]), ("/api/v1/me/statement", bearer[0]),
                            ("/api/v1/catalog", bearer[0]),
                            ("/api/v1/leaderboard?period=all", bearer[0]),
                            ("/staff/dashboard", dict(host, Cookie=cookies[0]))):
        smoke(server, "GET", target, headers)
    return lines


def create_lines(server, found):
    host = {"Host": f"127.0.0.1:{server.port}", "Content-Type": "application/json"}
    app, raw = [], []
    for person in found.residents:
        shop = found.shops[person.community]
        app.append(line("POST", "/api/v1/vouchers", dict(host, Authorization=f"Bearer {person.token}"),
                        {"merchant_id": shop.id, "points": 1}))
        raw.append(line("POST", "/bench/raw-hold", host, {
            "account": person.wallet, "destination": shop.account, "escrow": shop.escrow,
            "amount": 100}))
    return app, raw


def redeem_lines(server, found, vouchers, holds):
    host = {"Host": f"127.0.0.1:{server.port}", "Content-Type": "application/json"}
    app = [line("POST", "/api/v1/merchant/redemptions",
                dict(host, Authorization=f"Bearer {found.shops[c].token}"), {"code": code})
           for code, c in vouchers]
    raw = [line("POST", "/bench/raw-redeem", host, {"hold_id": hold}) for hold in holds]
    return app, raw


# Main ---------------------------------------------------------------------------------

def machine():
    with open("/proc/meminfo") as meminfo:
        kib = int(meminfo.readline().split()[1])
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split()[1]
    return dict(nproc=os.cpu_count(), memory_gib=round(kib / 2**20, 1),
                python=platform.python_version(), psycopg=psycopg.__version__, wrk=wrk,
                loadavg_start=round(os.getloadavg()[0], 2))


def show(result, baseline=None):
    ratio = f"{result['rps'] / baseline['rps']:6.2f}" if baseline else "      "
    log(f"  {result['name']:16} {result['rps']:8.0f} req/s  p50 {result['p50_ms']:6.1f} ms  "
        f"p99 {result['p99_ms']:6.1f} ms  max {result['max_ms']:6.0f} ms  errors {result['errors']}"
        f"{' ' + str(result['error_kinds']) if result['error_kinds'] else ''}"
        f"  ratio {ratio}  (gunicorn {result['cpu_ms']:.2f} CPU ms/request; CPUs busy: wrk "
        f"{result['wrk_cpu']:.2f}, gunicorn {result['server_cpu']:.2f}, "
        f"machine {result['machine_busy']:.0%} busy)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small county, short runs, one round")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    parser.add_argument("--database-url", help="use this database as it is (no seeding)")
    parser.add_argument("--scale", type=float, help="seed_scale.py --scale (default 0.02 quick, 0.1)")
    parser.add_argument("--duration", type=int, help="seconds per timed run (default 8 quick, 20)")
    parser.add_argument("--rounds", type=int, help="rounds of every pair (default 1 quick, 2)")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database")
    parser.add_argument("--no-verify", action="store_true", help="skip ledger verify at the end")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install wrk")
    duration = args.duration or (8 if args.quick else 20)
    warm = 1 if args.quick else 3
    rounds = args.rounds or (1 if args.quick else 2)
    started = time.perf_counter()
    info = machine()
    log(f"machine: {info}")
    seeded = args.database_url is None
    url = args.database_url or make_url(SERVER_URL).set(database=DEFAULT_DB).render_as_string(
        hide_password=False)
    if seeded:
        seed(url, args.scale or (0.02 if args.quick else 0.1))
    run_tag = secrets.token_hex(4)
    seed_scale.advance_sequences(url)  # also for a database filled before the loader did it
    found = prepare(url, run_tag)
    log(f"{len(found.residents)} residents with tokens in {len(found.shops)} communities, "
        f"funded {FUNDING} points each")
    directory = tempfile.mkdtemp(prefix="jifen_bench_http_")
    results = {name: [] for name in (*READS, "voucher_create", "voucher_redeem")}
    baselines = {name: [] for name in results}
    used = set()
    server = None
    try:
        server = Server(url, directory)
        log(f"gunicorn on {server.base}: {server.workers} workers (gunicorn.conf.py), "
            f"wrk -t{WRK_THREADS} -c{CONNECTIONS}, {duration:g} s per run after {warm} s of "
            f"warm-up, {rounds} round(s)")
        load = Load(server, directory)
        cookies = [server.sign_in(phone) for phone in found.staff]
        lines = read_lines(server, found, cookies)
        create_app, create_raw = create_lines(server, found)
        for round_no in range(rounds):
            log(f"round {round_no + 1}:")
            for name in READS:
                for scenario in ("bare", name):
                    load.run(f"warm-{scenario}", lines[scenario], warm)
                bare = load.run("bare", lines["bare"], duration)
                measured = load.run(name, lines[name], duration)
                show(bare)
                show(measured, bare)
                results[name].append(measured)
                baselines[name].append(bare)
            for scenario, app_lines in (("raw_hold", create_raw), ("voucher_create", create_app)):
                load.run(f"warm-{scenario}", app_lines, warm)
            raw = load.run("raw_hold", create_raw, duration)
            made = load.run("voucher_create", create_app, duration)
            show(raw)
            show(made, raw)
            results["voucher_create"].append(made)
            baselines["voucher_create"].append(raw)
            # Enough vouchers and holds made before the timed redemptions: half as many again
            # as were made, topping up with untimed runs when short.
            vouchers, holds = pending(url, found, used)
            need_v = int(1.5 * made["rps"] * (duration + warm)) + 200
            need_h = int(1.5 * raw["rps"] * (duration + warm)) + 200
            if len(vouchers) < need_v:
                load.run("top-up-vouchers", create_app,
                         max(1, round(1.2 * (need_v - len(vouchers)) / made["rps"])))
            if len(holds) < need_h:
                load.run("top-up-holds", create_raw,
                         max(1, round(1.2 * (need_h - len(holds)) / raw["rps"])))
            vouchers, holds = pending(url, found, used)
            app_redeem, raw_redeem = redeem_lines(server, found, vouchers, holds)
            cut_v, cut_h = int(made["rps"] * warm * 1.5) + 50, int(raw["rps"] * warm * 1.5) + 50
            load.run("warm-raw_redeem", raw_redeem[:cut_h], warm)
            load.run("warm-voucher_redeem", app_redeem[:cut_v], warm)
            raw = load.run("raw_redeem", raw_redeem[cut_h:], duration)
            redeemed = load.run("voucher_redeem", app_redeem[cut_v:], duration)
            show(raw)
            show(redeemed, raw)
            for result, available in ((raw, len(holds) - cut_h), (redeemed, len(vouchers) - cut_v)):
                if result["wrapped"]:
                    log(f"  {result['name']}: ran out of {available} prepared items "
                        f"(the errors are repeats)")
            results["voucher_redeem"].append(redeemed)
            baselines["voucher_redeem"].append(raw)
            vouchers, holds = pending(url, found, used)
            # The rest of this round's are spent or stale for the next round.
            used.update(("h", hold) for hold in holds)
            with psycopg.connect(make_url(url).set(drivername="postgresql")
                                 .render_as_string(hide_password=False)) as connection:
                used.update(("v", id_) for (id_,) in connection.execute(
                    "SELECT id FROM vouchers WHERE id > %s", (found.voucher_floor,)))
    finally:
        if server is not None:
            server.close()
        shutil.rmtree(directory, ignore_errors=True)

    summary = {"mode": "quick" if args.quick else "full", **info, "workers": server.workers,
               "connections": CONNECTIONS, "duration_s": duration, "rounds": rounds,
               "database": make_url(url).database}
    errors = 0
    log("")
    log("scenario          req/s   baseline req/s  ratio  p50 ms  p99 ms  errors  target")
    for name, items in results.items():
        write = name.startswith("voucher_")
        ratios = [r["rps"] / b["rps"] for r, b in zip(items, baselines[name])]
        ratio = statistics.median(ratios)
        rps = statistics.median(r["rps"] for r in items)
        base = statistics.median(b["rps"] for b in baselines[name])
        p50 = statistics.median(r["p50_ms"] for r in items)
        p99 = max(r["p99_ms"] for r in items)
        errs = sum(r["errors"] for r in items) + sum(b["errors"] for b in baselines[name])
        errors += errs
        kind = "write" if write else "read"
        summary[f"ratio_{kind}_{name}"] = round(ratio, 3)
        summary[f"p99_ms_{name}"] = round(p99, 1)
        summary[f"rps_{name}"] = round(rps, 1)
        summary[f"rps_baseline_{name}"] = round(base, 1)
        if write:
            target = (f">= {WRITE_TARGET}, p99 < {P99_WRITE_MS} ms: "
                      f"{'ok' if ratio >= WRITE_TARGET and p99 < P99_WRITE_MS else 'MISSED'}")
        elif name in ("balance", "statement", "catalog"):
            target = (f">= {READ_TARGET}, p99 < {P99_READ_MS} ms: "
                      f"{'ok' if ratio >= READ_TARGET and p99 < P99_READ_MS else 'MISSED'}")
        else:
            target = f"p99 < {SLOW_PAGE_MS} ms: {'ok' if p99 < SLOW_PAGE_MS else 'MISSED'}"
        log(f"{name:15} {rps:8.0f} {base:14.0f}  {ratio:6.2f} {p50:7.1f} {p99:7.1f} {errs:7}  {target}")
    summary["errors"] = errors
    if not args.no_verify:
        verify(url)
        summary["ledger_verify"] = "passed"
    if seeded and not args.keep:
        drop(url)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    summary["loadavg_end"] = round(os.getloadavg()[0], 2)
    log(f"total {summary['seconds']} s; 1-minute load average {info['loadavg_start']} at the "
        f"start, {summary['loadavg_end']} at the end")
    if args.json:
        print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
