"""Races on stock and on ``Idempotency-Key``: real threads, each with its own Session, on
PostgreSQL (row locks) and SQLite (one writer at a time).

- 20 residents race for the last 3 units: exactly 3 vouchers, stock 0, ledger sound.
- One resident's request sent twice at once with one key: one voucher, points held once.
- Vouchers made and cancelled at once on one offer: no deadlock, stock and points add up
  (issue and cancel lock the offer before the ledger's accounts).
"""
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from flask import current_app

from ledger.verify import verify
from merchants import errors, services
from merchants.models import CANCELLED, HELD, Offer, Voucher
from points import wallets
from points.residents.acting import acting_as_self
from points.timeutil import utcnow
from tests import factories
from tests import races

pytestmark = pytest.mark.slow


def race(db, actions):
    """Run each ``action(session)`` in its own thread and Session (the residents given
    are merged into it), all released together; returns results or the exceptions
    raised, in order."""
    return races.race(db.engine, actions, app=current_app._get_current_object())


@dataclass
class Made:
    voucher_id: int
    user_id: int
    created: bool


def issuing(resident, key=None, **what):
    def action(session):
        own = session.merge(resident, load=False)
        issued = services.issue_voucher(session, acting=acting_as_self(own),
                                        idempotency_key=key, now=utcnow(), **what)
        return Made(issued.voucher.id, issued.voucher.user_id, issued.created)
    return action


def count_vouchers(session, **where):
    stmt = select(func.count()).select_from(Voucher)
    for name, value in where.items():
        stmt = stmt.where(getattr(Voucher, name) == value)
    return session.scalar(stmt)


def test_twenty_residents_racing_for_three_units_get_exactly_three(db):
    session = db.session
    community = factories.make_community(session)
    offer = factories.make_offer(session, community, title="最后三袋米", points="100", stock=3)
    residents = [factories.make_resident(session, community, name=f"居民{i}", points="150")
                 for i in range(20)]

    results = race(db, [issuing(resident, offer_id=offer.id) for resident in residents])

    made = [r for r in results if isinstance(r, Made)]
    refusals = [r for r in results if not isinstance(r, Made)]
    assert len(made) == 3 and all(r.created for r in made)
    assert all(isinstance(r, errors.OutOfStockError) for r in refusals), refusals
    session.rollback()  # a fresh snapshot (SQLite WAL keeps the old one while open)
    assert session.get(Offer, offer.id).stock == 0
    assert count_vouchers(session, offer_id=offer.id, status=HELD) == 3
    winners = {r.user_id for r in made}
    for resident in residents:
        held = wallets.wallet_balance(session, resident)
        assert held.held == (Decimal("100") if resident.id in winners else Decimal("0"))
    assert verify(session) == []


def test_one_key_sent_twice_at_once_makes_one_voucher(db):
    session = db.session
    community = factories.make_community(session)
    offer = factories.make_offer(session, community, points="100", stock=10)
    resident = factories.make_resident(session, community, points="500")

    results = race(db, [issuing(resident, key="tap-once", offer_id=offer.id)] * 2)

    assert all(isinstance(r, Made) for r in results), results
    assert results[0].voucher_id == results[1].voucher_id
    assert sorted(r.created for r in results) == [False, True]
    session.rollback()  # a fresh snapshot (SQLite WAL keeps the old one while open)
    assert count_vouchers(session) == 1 and session.get(Offer, offer.id).stock == 9
    assert wallets.wallet_balance(session, resident).held == Decimal("100")
    assert verify(session) == []


def test_one_key_with_two_different_requests_at_once_makes_one_and_refuses_the_other(db):
    session = db.session
    community = factories.make_community(session)
    shop = factories.make_merchant(session, community)
    offer = factories.make_offer(session, community, points="100", stock=10)
    resident = factories.make_resident(session, community, points="500")

    results = race(db, [issuing(resident, key="k", offer_id=offer.id),
                               issuing(resident, key="k", merchant_id=shop.id, points="50")])

    made = [r for r in results if isinstance(r, Made)]
    assert len(made) == 1 and made[0].created
    assert [type(r) for r in results if not isinstance(r, Made)] == [
        errors.IdempotencyKeyReusedError]
    session.rollback()  # a fresh snapshot (SQLite WAL keeps the old one while open)
    assert count_vouchers(session) == 1 and verify(session) == []


def test_vouchers_made_and_cancelled_at_once_on_one_offer_never_deadlock(db):
    session = db.session
    community = factories.make_community(session)
    offer = factories.make_offer(session, community, points="10", stock=20)
    residents = [factories.make_resident(session, community, name=f"居民{i}", points="100")
                 for i in range(12)]
    held = [factories.make_voucher(session, resident, offer) for resident in residents[:6]]

    def cancelling(resident, voucher):
        def action(s):
            own = s.merge(resident, load=False)
            return services.cancel_voucher(s, acting=acting_as_self(own),
                                           voucher_id=voucher.id, now=utcnow()).status
        return action

    actions = [cancelling(r, v) for r, v in zip(residents[:6], held)]
    actions += [issuing(resident, offer_id=offer.id) for resident in residents[6:]]
    results = race(db, actions)

    assert [r for r in results if isinstance(r, Exception)] == []
    session.rollback()  # a fresh snapshot (SQLite WAL keeps the old one while open)
    assert count_vouchers(session, status=CANCELLED) == 6
    assert count_vouchers(session, status=HELD) == 6
    assert session.get(Offer, offer.id).stock == 14
    assert verify(session) == []
