"""Redemption happens exactly once, whatever the timing: 20 clerks' requests for one code
released together. On PostgreSQL the voucher's row lock (``SELECT … FOR UPDATE``)
serialises them; on SQLite the write transaction (``BEGIN IMMEDIATE``) does. Each
thread has its own Session (its own connection), as each request has in production.
"""
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

import ledger
from ledger.verify import verify
from merchants import errors, qr, scanning
from merchants.models import REDEEMED, Voucher
from points import wallets
from points.auth.models import User
from points.notifications.models import Notification
from points.timeutil import utcnow
from tests.factories import bearer, make_held_voucher, make_scan_world
from tests.merchants.test_redeem_scanned import shop_points
from tests.races import run_together, sql_sent

SECRET = "test-secret-key"
THREADS = 20


@pytest.fixture
def world(db):
    world = make_scan_world(db.session)
    world.voucher = make_held_voucher(db.session, world.resident, world.shop, points="120")
    return world


def race(engine, clerk_ids, scanned):
    """Each clerk redeems ``scanned`` in its own thread and Session, all released by one
    barrier; the results (a Redemption or the error) in order."""

    def run(i, start):
        with Session(engine) as session:
            clerk = session.get(User, clerk_ids[i])
            session.rollback()  # no transaction left open while waiting
            start()
            return scanning.redeem_scanned(session, clerk=clerk, scanned=scanned,
                                           secret=SECRET, now=utcnow())

    return run_together(len(clerk_ids), run)


def assert_redeemed_once(db, world, results):
    wins = [r for r in results if isinstance(r, scanning.Redemption)]
    losses = [r for r in results if not isinstance(r, scanning.Redemption)]
    assert len(wins) == 1, results
    assert len(losses) == len(results) - 1
    assert all(isinstance(r, errors.VoucherAlreadyRedeemedError) for r in losses), losses
    session = db.session
    session.rollback()  # a fresh snapshot: SQLite's open read would still see the start
    assert session.get(Voucher, world.voucher.id).status == REDEEMED
    assert shop_points(session, world.shop) == Decimal("120")
    assert wallets.wallet_balance(session, world.resident) == ledger.Balance(
        "POINTS", Decimal("380"), Decimal("0"))
    assert session.query(Notification).filter_by(kind="voucher_redeemed").count() == 1
    assert verify(session) == []


@pytest.mark.slow
@pytest.mark.parametrize("how", ["code", "url"])
def test_twenty_concurrent_redemptions_of_one_code_succeed_exactly_once(db, engine, world, how):
    token = qr.voucher_token(SECRET, world.voucher)
    scanned = world.voucher.code if how == "code" else f"https://x.cn/v/{token}"
    # The shop's clerk and owner at two tills, each pressing many times.
    clerk_ids = [world.clerk.id if i % 2 else world.owner.id for i in range(THREADS)]

    results = race(engine, clerk_ids, scanned)

    assert_redeemed_once(db, world, results)


@pytest.mark.slow
def test_concurrent_redemptions_over_http_succeed_exactly_once(app, db, world):
    headers = bearer(app.test_client(), world.clerk)
    code = world.voucher.code  # read here: the threads have no app context of their own

    def run(i, start):
        client = app.test_client()
        start()
        response = client.post("/api/v1/merchant/redemptions", headers=headers,
                               json={"code": code})
        return (response.status_code, response.get_json()["error"]["code"]
                if response.status_code != 201 else "redeemed")

    statuses = run_together(6, run)

    assert sorted(statuses) == [(201, "redeemed")] + [(409, "voucher_already_redeemed")] * 5
    db.session.rollback()
    assert shop_points(db.session, world.shop) == Decimal("120")
    assert verify(db.session) == []


def test_redemption_locks_the_voucher_row_before_reading_its_status(db, engine, world):
    with Session(engine) as session, sql_sent(engine) as statements:
        clerk = session.get(User, world.clerk.id)
        scanning.redeem_scanned(session, clerk=clerk, scanned=world.voucher.code,
                                secret=SECRET, now=utcnow())

    locks = [s for s in statements if "FROM vouchers" in s and "FOR UPDATE" in s]
    if engine.dialect.name == "postgresql":
        assert locks, statements
    else:  # SQLite has no row locks: the write transaction takes the one write lock
        assert "BEGIN IMMEDIATE" in statements
