"""Races of real threads, each with its own Session: two settlements of one shop-month, and
a refund against the settlement of its month. On PostgreSQL the shop row's lock
(``FOR NO KEY UPDATE``) serialises them; on SQLite the write transaction does."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ledger.models import Transfer
from ledger.verify import verify
from merchants import services, settlement as settling
from merchants.errors import AlreadySettledError
from merchants.models import Settlement, Voucher
from points.auth.models import User
from points.communities.models import Community
from tests import factories
from tests.merchants.test_settlement import World, last_month
from tests import races

pytestmark = pytest.mark.slow


def race(engine, *actions):
    """Run each ``action(session)`` in its own thread and Session, started together."""
    return races.race(engine, list(actions))


def settler(world, merchant_id):
    ids = (world.staff.id, world.community.id)

    def settle(session):
        settled = settling.settle_merchant(
            session, actor=session.get(User, ids[0]), community=session.get(Community, ids[1]),
            merchant_id=merchant_id, period=world.period, now=world.now)
        return settled.created, settled.settlement.id  # plain values: the session closes

    return settle


def refunder(world, voucher_id):
    owner_id = world.owner.id

    def refund(session):
        return services.refund_redemption(session, actor=session.get(User, owner_id),
                                          voucher_id=voucher_id, reason="顾客退货",
                                          now=world.now).id

    return refund


def test_two_settlements_of_one_shop_month_settle_it_once(db):
    world = World(db.session)
    world.redeem(100)
    world.redeem(60)
    engine = db.engine

    results = race(engine, settler(world, world.shop.id), settler(world, world.shop.id))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(created for created, _id in results) == [False, True]
    assert results[0][1] == results[1][1]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Settlement)) == 1
    assert db.session.scalar(select(func.count()).select_from(Transfer).where(
        Transfer.kind.in_(("settle", "settlement")))) == 2
    assert world.account("fund") == Decimal("96.80") and world.payable() == Decimal("3.20")
    assert world.shop_points() == 0
    assert verify(db.session) == []


def test_a_refund_racing_the_settlement_lands_before_it_or_is_refused(db):
    world = World(db.session)
    outcomes = set()
    for round_ in range(4):
        shop = factories.make_merchant(db.session, world.community, name=f"店{round_}")
        world.owner.merchant_id = shop.id  # the owner refunds at this round's shop
        db.session.commit()
        factories.make_redemption(db.session, world.resident, shop, 40, last_month(world.now))
        contested = factories.make_redemption(db.session, world.resident, shop, 25,
                                              last_month(world.now, hour=14))
        first, second = refunder(world, contested.id), settler(world, shop.id)

        results = race(db.engine, *((first, second) if round_ % 2 else (second, first)))

        refund, settled = results if round_ % 2 else results[::-1]
        assert not isinstance(settled, Exception), settled
        db.session.rollback()
        settlement = db.session.get(Settlement, settled[1])
        voucher = db.session.get(Voucher, contested.id)
        if isinstance(refund, Exception):
            assert isinstance(refund, AlreadySettledError), refund
            assert voucher.status == "redeemed" and settlement.points == Decimal("65")
            outcomes.add("refused after the settlement")
        else:
            assert voucher.status == "refunded" and settlement.points == Decimal("40")
            outcomes.add("refunded before the settlement")
        # Whichever won, the statement, the settlement and the ledger agree.
        statement = settling.statement_of_settlement(db.session, settlement)
        assert statement.redeemed_points - statement.refunded_points == settlement.points
        assert db.session.get(Transfer, settlement.points_transfer_id).amount == settlement.points
        assert db.session.get(Transfer, settlement.cny_transfer_id).amount == (
            settlement.points / 50).quantize(Decimal("0.01"))
        assert voucher.settlement_id == settlement.id
        assert shop_points(db.session, world, shop) == 0
    assert verify(db.session) == []
    assert outcomes  # which of the two won varies from run to run; both are right


def shop_points(session, world, shop):
    from ledger.accounts import find_account
    import ledger

    account = find_account(session, community_id=world.community.id, owner_type="merchant",
                           owner_id=shop.id)
    return ledger.balance_of(session, account).balance
