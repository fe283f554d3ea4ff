"""Crash consistency: gunicorn killed with SIGKILL in the middle of a load, restarted on the
same database, and every request the clients could not be sure of sent again.

Residents make vouchers, the shop's clerk redeems them and two office staff approve
claims, from several threads over the JSON API, every write with an ``Idempotency-Key``.
After some answers, the whole gunicorn process group is killed while requests are in
flight; the clients retry what got no answer, with the same key, until the restarted
server answers. Then the ledger must verify, and the database must hold exactly what the
clients were told: each success once, each refusal nothing, and every balance equal to
what the clients' own records add up to.
"""
import queue
import random
import shutil
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

import ledger
from ledger.models import Account, Hold, Transfer
from ledger.verify import verify
from tests import factories
from tests.conftest import private_pg_database
from tests.gunicorn import START_WITHIN, Gunicorn

pytestmark = pytest.mark.slow

RESIDENTS, POOR = 20, 4  # the first POOR residents have too few points for most vouchers
RICH_POINTS, POOR_POINTS = Decimal("2000"), Decimal("30")
CLAIMS_EACH, CLAIM_POINTS = 2, Decimal("10")
RICE_STOCK = 6  # a scarce offer: some vouchers for it are refused, out of stock
RESIDENT_THREADS, CLERK_THREADS, STAFF_THREADS = 6, 2, 2
VOUCHERS_PER_THREAD = 14
KILL_AFTER = 50  # successes before the kill
RETRY_FOR = START_WITHIN + 30  # seconds a client keeps retrying one request


# --- the database and its world ------------------------------------------------------

@pytest.fixture(params=("sqlite", "postgresql"))
def crash_database(request, tmp_path):
    """An empty database of its own with every table (PostgreSQL: made on the ``test``
    server, dropped afterwards)."""
    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "crash.db")
        yield f"sqlite:///{tmp_path / 'crash.db'}"
        return
    with private_pg_database() as url:
        yield url


def seed(session, upload_dir):
    """北新社区: a shop with its clerk, two office staff, residents with points and two
    pending claims each, a scarce offer; a bearer token per user (signing in through
    ``/auth/token`` is rate limited)."""
    from points.auth import roles
    from points.auth import services as auth_services
    from points.claims import services as claims
    from points.residents.acting import acting_as_self
    from points.timeutil import local, utcnow

    now = utcnow()
    community = factories.make_community(session, name="北新社区")
    grid = factories.make_grid(session, community, name="红星网格")
    shop = factories.make_merchant(session, community, name="张记面馆")
    clerk = factories.make_user(session, community, roles.MERCHANT_CLERK, name="李小红",
                                merchant=shop)
    staff = [factories.make_user(session, community, roles.STAFF, name=name)
             for name in ("陈干事", "赵干事")]
    residents = [factories.make_resident(
        session, community, household=factories.make_household(session, community, grid),
        name=f"居民{number}", points=POOR_POINTS if number < POOR else RICH_POINTS)
        for number in range(RESIDENTS)]
    rice = factories.make_offer(session, community, shop, title="大米 5 斤", points="40",
                                stock=RICE_STOCK)
    care = factories.make_activity_type(session, community, name="敬老助老", category="elderly",
                                        unit="participation", points=CLAIM_POINTS)
    filed = [claims.file_claim(session, acting=acting_as_self(resident), type_id=care.id,
                               work_day=local(now).date(), hours=None,
                               description="陪邻居去医院", photos=[], upload_dir=upload_dir,
                               now=now)
             for resident in residents for _ in range(CLAIMS_EACH)]
    tokens = {user.id: auth_services.issue_token(session, user=user, now=now,
                                                 ttl=timedelta(hours=1))[0]
              for user in (clerk, *staff, *residents)}
    return SimpleNamespace(
        shop=shop.id, rice=rice.id, clerk=clerk.id, staff=[user.id for user in staff],
        residents=[user.id for user in residents],
        initial={user.id: POOR_POINTS if number < POOR else RICH_POINTS
                 for number, user in enumerate(residents)},
        claims={claim.id: claim.user_id for claim in filed}, tokens=tokens)


def seeded_world(url, instance):
    from points import create_app
    from points.config import TestConfig
    from points.extensions import db

    app = create_app(TestConfig(url, instance))
    with app.app_context():
        world = seed(db.session, instance / "uploads" / "claims")
        db.session.remove()
        db.engine.dispose()
    return world


# --- the clients -----------------------------------------------------------------------

@dataclass(eq=False)
class Call:
    """One intended write and what the client finally learnt about it."""

    kind: str  # voucher | redeem | redeem_again | approve | approve_again
    user_id: int
    path: str
    body: dict
    key: str
    lost: list = field(default_factory=list)  # attempts that got no answer (the error)
    status: int | None = None
    answer: dict | None = None
    replayed: bool = False

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300


class Load:
    """The calls of every client thread, the ones in flight now, and the successes."""

    def __init__(self, server, tokens):
        self.server, self.tokens = server, tokens
        self.lock = threading.Lock()
        self.calls, self.in_flight = [], set()
        self.successes = 0
        self.errors = []  # exceptions that ended a client thread

    def send(self, http, call):
        """POST until a definite answer (any HTTP status), the same key every time."""
        headers = {"Authorization": f"Bearer {self.tokens[call.user_id]}",
                   "Idempotency-Key": call.key}
        deadline = time.monotonic() + RETRY_FOR
        while True:
            with self.lock:
                self.in_flight.add(call)
            try:
                response = http.post(f"{self.server.base}{call.path}", json=call.body,
                                     headers=headers, timeout=20)
            except requests.RequestException as error:
                call.lost.append(type(error).__name__)
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
                continue
            finally:
                with self.lock:
                    self.in_flight.discard(call)
            call.status = response.status_code
            call.answer = response.json() if response.content else None
            call.replayed = response.headers.get("Idempotent-Replayed") == "true"
            with self.lock:
                self.calls.append(call)
                self.successes += call.ok
            return call

    def kill_server(self):
        """SIGKILL with the in-flight set frozen: the calls in it are cut off."""
        with self.lock:
            cut, answered = list(self.in_flight), list(self.calls)
            self.server.kill()
        return answered, cut

    def thread(self, target, *args):
        """A client thread: ``target(http, *args)`` with its own keep-alive connection."""
        def run():
            try:
                with requests.Session() as http:
                    target(http, *args)
            except Exception as error:  # noqa: BLE001  (reported by the test)
                self.errors.append(repr(error))
        return threading.Thread(target=run, daemon=True)


def drive(load, world, server):
    """Run the clients; kill gunicorn after ``KILL_AFTER`` successes and start it again."""
    codes = queue.Queue()
    residents_done = threading.Event()

    def resident(http, number):
        rng, mine = random.Random(number), world.residents[number::RESIDENT_THREADS]
        for n in range(VOUCHERS_PER_THREAD):
            body = ({"offer_id": world.rice} if rng.random() < 0.15 else
                    {"merchant_id": world.shop, "points": str(rng.randrange(10, 90, 5))})
            call = load.send(http, Call("voucher", mine[n % len(mine)], "/api/v1/vouchers",
                                        body, f"voucher-{number}-{n}"))
            if call.ok and rng.random() < 0.75:
                codes.put(call.answer["code"])

    def clerk(http, number):
        rng, path = random.Random(100 + number), "/api/v1/merchant/redemptions"
        while True:
            try:
                code = codes.get(timeout=0.1)
            except queue.Empty:
                if residents_done.is_set():
                    return
                continue
            load.send(http, Call("redeem", world.clerk, path, {"code": code}, f"redeem-{code}"))
            if rng.random() < 0.2:  # the same voucher again, a new request: refused
                load.send(http, Call("redeem_again", world.clerk, path, {"code": code},
                                     f"again-{code}"))

    def staff(http, number):
        rng, user = random.Random(200 + number), world.staff[number]
        for claim_id in sorted(world.claims)[number::STAFF_THREADS]:
            path = f"/api/v1/claims/{claim_id}/approve"
            load.send(http, Call("approve", user, path, {}, f"approve-{claim_id}"))
            if rng.random() < 0.2:  # approved already: refused
                load.send(http, Call("approve_again", user, path, {}, f"again-{claim_id}"))

    residents = [load.thread(resident, n) for n in range(RESIDENT_THREADS)]
    others = ([load.thread(clerk, n) for n in range(CLERK_THREADS)]
              + [load.thread(staff, n) for n in range(STAFF_THREADS)])
    for thread in residents + others:
        thread.start()
    deadline = time.monotonic() + 30
    while load.successes < KILL_AFTER and time.monotonic() < deadline and not load.errors:
        time.sleep(0.01)
    answered, cut = load.kill_server()
    killed_at = time.monotonic()
    server.start()
    down_for = time.monotonic() - killed_at
    for thread in residents:
        thread.join(timeout=RETRY_FOR + 30)
    residents_done.set()
    for thread in others:
        thread.join(timeout=RETRY_FOR + 30)
    assert not any(thread.is_alive() for thread in residents + others), "a client hung"
    return SimpleNamespace(before_kill=answered, cut=cut, down_for=down_for)


def send_again(load, calls):
    """Each call once more, with its key and body, as a client that lost its answer."""
    with requests.Session() as http:
        return [(call, load.send(http, Call(call.kind, call.user_id, call.path, call.body,
                                            call.key)))
                for call in calls]


# --- what the database holds -------------------------------------------------------------

def database_state(url):
    from merchants.models import Voucher
    from points.api.idempotency import IdempotentRequest
    from points.claims.models import Claim
    from points.earning.models import Credit

    engine = ledger.install(create_engine(url))
    try:
        with Session(engine) as session:
            accounts = {(row.owner_type, row.owner_id): row for row in session.execute(
                select(Account.owner_type, Account.owner_id, Account.balance, Account.held)
                .where(Account.purpose == "main", Account.ledger == ledger.POINTS))}
            return SimpleNamespace(
                violations=verify(session),  # what ``flask ledger verify`` checks
                accounts=accounts,
                vouchers={row.id: row for row in session.execute(select(
                    Voucher.id, Voucher.user_id, Voucher.idempotency_key, Voucher.status,
                    Voucher.points, Voucher.hold_id))},
                holds={row.id: row for row in session.execute(
                    select(Hold.id, Hold.status, Hold.amount))},
                hold_transfers=Counter(session.scalars(
                    select(Transfer.hold_id).where(Transfer.hold_id.is_not(None)))),
                claims={row.id: row.status for row in session.execute(
                    select(Claim.id, Claim.status))},
                credits=Counter(session.scalars(
                    select(Credit.source_id).where(Credit.source == "claim"))),
                earn_transfers=Counter(session.scalars(
                    select(Transfer.ref_id).where(Transfer.ref_type == "claim"))),
                keys={(row.user_id, row.key): row.status for row in session.execute(
                    select(IdempotentRequest.user_id, IdempotentRequest.key,
                           IdempotentRequest.status))},
                key_rows=session.scalar(select(func.count()).select_from(IdempotentRequest)),
            )
    finally:
        engine.dispose()


# --- the test ----------------------------------------------------------------------------

def test_a_killed_server_loses_and_doubles_nothing(crash_database, tmp_path):
    started = time.monotonic()
    instance = tmp_path / "instance"
    server = Gunicorn(tmp_path / "gunicorn.log", DATABASE_URL=crash_database,
                      JIFEN_INSTANCE=str(instance), SECRET_KEY="crash-test")
    try:
        server.spawn()  # its workers import the app while the world is seeded
        world = seeded_world(crash_database, instance)
        load = Load(server, world.tokens)
        server.wait_ready()
        run = drive(load, world, server)
        assert not load.errors, (load.errors, server.tail())
        calls = list(load.calls)
        # Sent again: what had succeeded before the kill, and what was retried over it.
        again = set(run.before_kill) | {c for c in calls if c.lost}
        replays = send_again(load, [c for c in calls if c.ok and c in again])
    finally:
        server.kill()

    assert_definite_answers(calls, server)
    # The kill hit the load: requests were cut off and retried with their keys.
    cut_off = [c for c in run.cut if c.lost]
    answered = sum(c.ok for c in run.before_kill)
    assert answered >= KILL_AFTER and cut_off, (answered, len(run.cut))
    # A client that lost the answer of a committed request sends it again: each success
    # sent once more with its key, after the crash, is answered as the first time (and,
    # as the database shows below, moved nothing).
    for call, repeat in replays:
        assert repeat.replayed and repeat.answer["id"] == call.answer["id"], (call, repeat)
        if call.kind != "voucher":  # vouchers answer 200 with the voucher as it is now
            assert (repeat.status, repeat.answer) == (call.status, call.answer), (call, repeat)

    state = database_state(crash_database)
    assert not state.violations, state.violations
    assert_each_success_once(calls, state, world)
    assert_balances_add_up(calls, state, world)

    retried = [c for c in calls if c.lost]
    print(f"\n{crash_database.split(':')[0]}: {len(calls)} calls, {answered} answered before "
          f"the kill, {len(cut_off)} cut off in flight ({sum(c.replayed for c in cut_off)} had "
          f"committed: replayed), {len(retried)} retried ({sum(len(c.lost) for c in retried)} "
          f"attempts without an answer), {sum(not c.ok for c in calls)} refused, "
          f"{len(replays)} sent again after the restart; down {run.down_for:.1f} s, "
          f"total {time.monotonic() - started:.1f} s")


REFUSALS = {  # the refusals a client may see, and why
    "voucher": {(422, "insufficient_points"), (409, "out_of_stock")},
    "redeem_again": {(409, "voucher_already_redeemed")},
    "approve_again": {(409, "claim_already_decided")},
}


def assert_definite_answers(calls, server):
    """A success, or a refusal the domain explains; never a 5xx; the first redemption of
    each voucher and the first approval of each claim always succeed, even over a crash."""
    for call in calls:
        if not call.ok:
            code = (call.answer or {}).get("error", {}).get("code")
            assert (call.status, code) in REFUSALS.get(call.kind, set()), (call, server.tail())


def successes(calls, kind):
    return [c for c in calls if c.kind == kind and c.ok]


def assert_each_success_once(calls, state, world):
    # Vouchers: one row per key that got a success, none for a refusal or a retry.
    vouchers = successes(calls, "voucher")
    seen = {(c.user_id, c.key): c.answer["id"] for c in vouchers}
    assert len(seen) == len(vouchers)
    assert {(v.user_id, v.idempotency_key): v.id for v in state.vouchers.values()} == seen
    redeemed = {c.answer["id"] for c in successes(calls, "redeem")}
    for call in vouchers:
        voucher = state.vouchers[call.answer["id"]]
        hold = state.holds[voucher.hold_id]
        assert voucher.points == Decimal(call.answer["points"]) == hold.amount
        if voucher.id in redeemed:  # held, then posted: one transfer each
            assert (voucher.status, hold.status, state.hold_transfers[hold.id]) == (
                "redeemed", "posted", 2)
        else:
            assert (voucher.status, hold.status, state.hold_transfers[hold.id]) == (
                "held", "pending", 1)
    # Claims: approved exactly the ones the staff were told, each credited once.
    approved = {int(c.path.split("/")[4]) for c in successes(calls, "approve")}
    assert approved == set(world.claims)
    assert {claim for claim, status in state.claims.items() if status == "approved"} == approved
    assert all(state.credits[claim] == 1 == state.earn_transfers[claim] for claim in approved)
    # Keys: one stored answer per success through the shared decorator, none for refusals.
    kept = successes(calls, "redeem") + successes(calls, "approve")
    assert state.key_rows == len(kept)
    assert all(state.keys[(c.user_id, c.key)] == c.status for c in kept)


def assert_balances_add_up(calls, state, world):
    """Every wallet and the shop's account hold what the clients' own records add up to."""
    def points(found):
        return sum((Decimal(c.answer["points"]) for c in found), Decimal(0))

    redeemed = successes(calls, "redeem")
    redeemed_ids = {c.answer["id"] for c in redeemed}
    approved = [world.claims[int(c.path.split("/")[4])] for c in successes(calls, "approve")]
    for resident in world.residents:
        mine = [c for c in successes(calls, "voucher") if c.user_id == resident]
        earned = CLAIM_POINTS * approved.count(resident)
        held = points(c for c in mine if c.answer["id"] not in redeemed_ids)
        account = state.accounts[("resident", resident)]
        assert (account.balance, account.held) == (
            world.initial[resident] + earned - points(mine), held), resident
    assert state.accounts[("merchant", world.shop)].balance == points(redeemed)
