"""Settling a shop's month: the statement, the two ledger movements in one transaction,
exactly once, and every refusal moving nothing."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

import ledger
from ledger.accounts import COMMUNITY, find_account
from ledger.models import Entry, Transfer
from ledger.verify import verify
from merchants import services, settlement as settling
from merchants.errors import AlreadySettledError, ShopNotFoundError
from merchants.fund import FundShortError
from merchants.models import Settlement, Voucher
from points.audit.models import AuditEvent
from points.errors import ForbiddenError, NotFoundError
from points.notifications.models import Notification
from points.timeutil import local, start_of_local_date, utcnow
from tests import factories


def last_month(now, day=10, hour=12):
    """A moment in the local month before ``now``'s."""
    first = local(now).date().replace(day=1) - timedelta(days=1)
    return start_of_local_date(first.replace(day=day)) + timedelta(hours=hour)


class World:
    """A community with a shop, its owner and clerk, the office, a resident with points
    and ¥100 in the fund."""

    def __init__(self, session):
        self.session = session
        self.community = factories.make_community(session)
        self.shop = factories.make_merchant(session, self.community)
        self.owner = factories.make_user(session, self.community, "merchant_owner", name="张建国",
                                         merchant=self.shop)
        self.clerk = factories.make_user(session, self.community, "merchant_clerk",
                                         merchant=self.shop)
        self.staff = factories.make_user(session, self.community, "staff", name="陈主任")
        self.resident = factories.make_resident(session, self.community, name="王秀英",
                                                points="1000")
        factories.give_fund(session, self.community, "100.00")
        self.now = utcnow()
        self.period = settling.previous_period(self.now)

    def redeem(self, points, at=None):
        return factories.make_redemption(self.session, self.resident, self.shop, points,
                                         at or last_month(self.now), clerk=self.clerk)

    def refund(self, voucher, at=None):
        return services.refund_redemption(self.session, actor=self.owner, voucher_id=voucher.id,
                                          reason="顾客退货", now=at or last_month(self.now, hour=13))

    def settle(self, period=None, actor=None, merchant_id=None):
        return settling.settle_merchant(
            self.session, actor=actor or self.staff, community=self.community,
            merchant_id=merchant_id or self.shop.id, period=period or self.period, now=self.now)

    def account(self, purpose, currency=ledger.CNY, owner_type=COMMUNITY, owner_id=None):
        found = find_account(self.session, community_id=self.community.id, owner_type=owner_type,
                             owner_id=owner_id or self.community.id, ledger=currency,
                             purpose=purpose)
        return ledger.balance_of(self.session, found).balance if found else ledger.ZERO

    def shop_points(self):
        return self.account("main", ledger.POINTS, "merchant", self.shop.id)

    def payable(self):
        return self.account("payable", ledger.CNY, "merchant", self.shop.id)

    def transfers(self):
        return self.session.scalar(select(func.count()).select_from(Transfer))


@pytest.fixture
def world(db):
    return World(db.session)


def test_settling_retires_the_net_points_and_moves_their_yuan_to_the_shop(world):
    kept, refunded = world.redeem(100), world.redeem(150)
    world.refund(refunded)

    settled = world.settle()

    settlement = settled.settlement
    assert settled.created
    assert (settlement.period, settlement.voucher_count) == (world.period, 1)
    assert (settlement.points, settlement.amount_cny) == (Decimal("100"), Decimal("2.00"))
    assert (settlement.points_per_yuan, settlement.status) == (Decimal("50"), "settled")
    assert world.shop_points() == 0
    assert world.account("retired", ledger.POINTS) == Decimal("100")
    assert world.account("fund") == Decimal("98.00")
    assert world.payable() == Decimal("2.00")
    assert {v.settlement_id for v in world.session.scalars(select(Voucher))} == {settlement.id}
    assert kept.settlement_id == refunded.settlement_id == settlement.id
    assert verify(world.session) == []


def test_the_statement_lists_redemptions_and_refunds_and_reconciles_with_the_ledger(world):
    world.redeem(100)
    refunded = world.redeem(150)
    world.redeem(37)
    world.refund(refunded)
    statement_before = settling.statement_of(world.session, world.shop, world.period,
                                             world.community)

    settlement = world.settle().settlement
    statement = settling.statement_of_settlement(world.session, settlement)

    assert [line.voucher.points for line in statement.lines] == [100, 150, 37]
    assert [line.refunded for line in statement.lines] == [False, True, False]
    assert {line.resident_name for line in statement.lines} == {"王**"}
    assert (statement.redeemed_points, statement.refunded_points) == (287, 150)
    assert statement.points == statement_before.points == Decimal("137")
    assert statement.amount_cny == statement_before.amount_cny == Decimal("2.74")
    # The shop's ledger lines of the month: redemptions in, refunds out, net = statement.
    start, end = settling.period_bounds(world.period)
    shop_account = find_account(world.session, community_id=world.community.id,
                                owner_type="merchant", owner_id=world.shop.id)
    moved = world.session.execute(
        select(Transfer.kind, func.sum(Entry.amount)).join(Transfer, Transfer.id == Entry.transfer_id)
        .where(Entry.account_id == shop_account, Entry.created_at >= start, Entry.created_at < end)
        .group_by(Transfer.kind)).all()
    assert dict(moved) == {"redeem": Decimal("287"), "refund": Decimal("-150")}
    assert sum(amount for _kind, amount in moved) == statement.points
    points_move = world.session.get(Transfer, settlement.points_transfer_id)
    yuan_move = world.session.get(Transfer, settlement.cny_transfer_id)
    assert (points_move.ledger, points_move.amount, points_move.debit_account_id) == (
        "POINTS", statement.points, shop_account)
    assert (yuan_move.ledger, yuan_move.amount) == ("CNY", statement.amount_cny)
    assert ledger.points_to_cny(points_move.amount, settlement.points_per_yuan) == yuan_move.amount


def test_settling_a_month_again_returns_the_first_settlement_and_moves_nothing(world):
    world.redeem(100)
    first = world.settle().settlement
    transfers = world.transfers()

    again = world.settle()

    assert not again.created and again.settlement.id == first.id
    assert world.transfers() == transfers
    assert world.account("fund") == Decimal("98.00") and world.payable() == Decimal("2.00")
    assert world.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "settlement.run")) == 1


def test_settling_is_audited_and_the_owner_is_told(world):
    world.redeem(100)

    settlement = world.settle().settlement

    event_ = world.session.scalar(select(AuditEvent).where(AuditEvent.action == "settlement.run"))
    assert (event_.actor_id, event_.object_id) == (world.staff.id, settlement.id)
    assert event_.after["points"] == "100" and event_.after["amount_cny"] == "2.00"
    told = world.session.scalar(select(Notification).where(Notification.user_id == world.owner.id,
                                                            Notification.kind == "settlement"))
    assert "¥2.00" in told.body and told.link == f"/merchant/settlements/{settlement.id}"


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "26-11", "", "2026-11-01", None, "1999-12"])
def test_a_bad_period_is_refused_and_moves_nothing(world, period):
    world.redeem(100)
    transfers = world.transfers()

    with pytest.raises(settling.InvalidPeriodError):
        settling.settle_merchant(world.session, actor=world.staff, community=world.community,
                                 merchant_id=world.shop.id, period=period, now=world.now)

    assert world.transfers() == transfers


def test_a_month_that_has_not_ended_is_refused_and_moves_nothing(world):
    world.redeem(100, at=world.now - timedelta(seconds=5))
    this_month = settling.period_of(world.now)
    transfers = world.transfers()

    with pytest.raises(settling.PeriodNotEndedError) as refused:
        world.settle(period=this_month)

    assert refused.value.params == {"period": this_month}
    assert world.transfers() == transfers
    assert world.session.scalar(select(func.count()).select_from(Settlement)) == 0


def drain_fund(world, left):
    """Take the fund down to ``left`` yuan (as if paid out elsewhere)."""
    from points.extensions import unit_of_work

    with unit_of_work(world.session):
        ledger.transfer(world.session, debit=settling.fund_account(world.session, world.community.id),
                        credit=ledger.system_account(world.session, world.community.id,
                                                     ledger.CNY, "paid_out"),
                        amount=world.account("fund") - Decimal(left), key="test-drain",
                        kind="payout")


def test_a_fund_that_cannot_cover_the_month_refuses_it_and_nothing_moves(world):
    world.redeem(500)
    world.redeem(500)  # 1,000 points = ¥20.00
    drain_fund(world, "19.99")
    transfers = world.transfers()

    with pytest.raises(FundShortError) as refused:
        world.settle()

    assert refused.value.params == {"available": "19.99", "needed": "20.00"}
    assert world.transfers() == transfers
    assert world.shop_points() == Decimal("1000") and world.payable() == 0
    assert world.account("fund") == Decimal("19.99")
    assert world.account("retired", ledger.POINTS) == 0
    assert world.session.scalar(select(func.count()).select_from(Settlement)) == 0
    assert world.session.scalar(select(func.count()).select_from(Voucher).where(
        Voucher.settlement_id.is_not(None))) == 0


def test_once_the_fund_is_topped_up_the_same_month_settles(world):
    world.redeem(500)
    world.redeem(500)
    drain_fund(world, "19.99")
    with pytest.raises(FundShortError):
        world.settle()
    factories.give_fund(world.session, world.community, "0.01")

    settled = world.settle()

    assert settled.created and settled.settlement.amount_cny == Decimal("20.00")
    assert world.account("fund") == 0


def test_a_month_with_nothing_is_settled_as_a_zero_statement_without_any_movement(world):
    transfers = world.transfers()

    settlement = world.settle().settlement

    assert (settlement.points, settlement.amount_cny, settlement.voucher_count) == (0, 0, 0)
    assert settlement.points_transfer_id is None and settlement.cny_transfer_id is None
    assert world.transfers() == transfers
    with pytest.raises(settling.NothingOwedError):
        settling.mark_paid(world.session, actor=world.staff, community=world.community,
                           settlement_id=settlement.id, reference="无", now=world.now)
    assert world.transfers() == transfers


def test_a_month_whose_redemptions_were_all_refunded_settles_to_zero_and_closes_it(world):
    voucher = world.redeem(80)
    world.refund(voucher)
    transfers = world.transfers()

    settlement = world.settle().settlement

    assert (settlement.points, settlement.amount_cny) == (0, 0)
    assert world.transfers() == transfers
    assert world.session.get(Voucher, voucher.id).settlement_id == settlement.id


def test_a_refund_after_the_month_was_settled_is_refused_and_moves_nothing(world):
    voucher = world.redeem(100)
    world.settle()
    transfers, wallet = world.transfers(), factories.wallets.wallet_balance(world.session, world.resident)

    with pytest.raises(AlreadySettledError):
        world.refund(voucher, at=world.now)

    assert world.transfers() == transfers
    assert factories.wallets.wallet_balance(world.session, world.resident) == wallet
    assert world.session.get(Voucher, voucher.id).status == "redeemed"


def test_a_refund_made_this_month_of_last_months_redemption_counts_in_last_month(world):
    voucher = world.redeem(100)
    world.redeem(40)
    world.refund(voucher, at=world.now)  # before last month is settled: allowed

    settlement = world.settle().settlement

    assert settlement.points == Decimal("40") and settlement.amount_cny == Decimal("0.80")
    assert world.shop_points() == 0


def test_a_redemption_belongs_to_the_local_month_it_happened_in(world):
    start, end = settling.period_bounds(world.period)
    world.redeem(10, at=start - timedelta(seconds=1))  # 23:59:59 the month before
    world.redeem(20, at=start)  # 00:00 local on the 1st
    world.redeem(30, at=end - timedelta(seconds=1))  # 23:59:59 on the last day

    statement = settling.statement_of(world.session, world.shop, world.period, world.community)

    assert [line.voucher.points for line in statement.lines] == [20, 30]
    assert local(start).hour == 0 and local(start).day == 1


def test_yuan_are_rounded_half_up_to_the_fen_at_the_communitys_rate(world):
    world.community.points_per_yuan = Decimal("40")
    world.session.commit()
    world.redeem(333)  # 333 / 40 = 8.325 → ¥8.33

    settlement = world.settle().settlement

    assert settlement.points_per_yuan == Decimal("40")
    assert settlement.amount_cny == Decimal("8.33") == ledger.points_to_cny(333, 40)


def test_another_communitys_shop_or_an_unknown_one_is_not_found(world):
    other = factories.make_community(world.session, name="西津桥社区")
    far_shop = factories.make_merchant(world.session, other)
    transfers = world.transfers()

    for merchant_id in (far_shop.id, 999999):
        with pytest.raises(ShopNotFoundError):
            world.settle(merchant_id=merchant_id)

    assert world.transfers() == transfers


def test_only_the_office_of_the_community_settles(world):
    world.redeem(100)
    grid_worker = factories.make_user(world.session, world.community, "grid_worker")
    other = factories.make_community(world.session, name="西津桥社区")
    outsider = factories.make_user(world.session, other, "staff")
    transfers = world.transfers()

    for actor in (grid_worker, world.owner, world.resident):
        with pytest.raises(ForbiddenError):
            world.settle(actor=actor)
    with pytest.raises(NotFoundError):
        world.settle(actor=outsider)

    assert world.transfers() == transfers


def test_marking_paid_moves_payable_to_paid_out_once_with_the_reference(world):
    world.redeem(100)
    settlement = world.settle().settlement

    paid = settling.mark_paid(world.session, actor=world.staff, community=world.community,
                              settlement_id=settlement.id, reference=" 农行 2026110501 ",
                              now=world.now)

    assert (paid.status, paid.payment_reference, paid.paid_by_id) == (
        "paid", "农行 2026110501", world.staff.id)
    assert world.payable() == 0 and world.account("paid_out") == Decimal("2.00")
    transfers = world.transfers()
    again = settling.mark_paid(world.session, actor=world.staff, community=world.community,
                               settlement_id=settlement.id, reference="农行 2026110501",
                               now=world.now)
    assert again.id == paid.id and world.transfers() == transfers
    with pytest.raises(settling.AlreadyPaidError) as refused:
        settling.mark_paid(world.session, actor=world.staff, community=world.community,
                           settlement_id=settlement.id, reference="另一笔", now=world.now)
    assert refused.value.params == {"reference": "农行 2026110501"}
    assert world.transfers() == transfers and world.account("paid_out") == Decimal("2.00")
    told = world.session.scalar(select(Notification).where(
        Notification.user_id == world.owner.id, Notification.body.contains("农行 2026110501")))
    assert told is not None


@pytest.mark.parametrize("reference", ["", "   ", None])
def test_marking_paid_needs_a_reference_and_moves_nothing(world, reference):
    world.redeem(100)
    settlement = world.settle().settlement
    transfers = world.transfers()

    with pytest.raises(settling.PaymentReferenceRequiredError):
        settling.mark_paid(world.session, actor=world.staff, community=world.community,
                           settlement_id=settlement.id, reference=reference, now=world.now)

    assert world.transfers() == transfers
    assert world.session.get(Settlement, settlement.id).status == "settled"


def test_marking_another_communitys_settlement_paid_is_not_found(world):
    world.redeem(100)
    settlement = world.settle().settlement
    other = factories.make_community(world.session, name="西津桥社区")
    outsider = factories.make_user(world.session, other, "staff")

    with pytest.raises(settling.SettlementNotFoundError):
        settling.mark_paid(world.session, actor=outsider, community=other,
                           settlement_id=settlement.id, reference="x", now=world.now)

    assert world.payable() == Decimal("2.00")


def test_owners_read_their_own_settlements_the_office_all_and_clerks_none(world):
    world.redeem(100)
    mine = world.settle().settlement
    other_shop = factories.make_merchant(world.session, world.community, name="李记超市")
    other_owner = factories.make_user(world.session, world.community, "merchant_owner",
                                      merchant=other_shop)
    theirs = world.settle(merchant_id=other_shop.id).settlement

    assert [s.id for s in settling.list_settlements(world.session, viewer=world.owner)] == [mine.id]
    assert {s.id for s in settling.list_settlements(world.session, viewer=world.staff)} == {
        mine.id, theirs.id}
    assert settling.list_settlements(world.session, viewer=world.owner,
                                     merchant_id=other_shop.id) == []
    with pytest.raises(ForbiddenError):
        settling.list_settlements(world.session, viewer=world.clerk)
    with pytest.raises(settling.SettlementNotFoundError):
        settling.visible_settlement(world.session, viewer=other_owner, settlement_id=mine.id)
    assert settling.visible_settlement(world.session, viewer=world.owner,
                                       settlement_id=mine.id).id == mine.id


def test_the_office_month_overview_counts_each_shop(world):
    world.redeem(100)
    world.refund(world.redeem(30))
    factories.make_merchant(world.session, world.community, name="李记超市")

    rows = settling.month_overview(world.session, world.community, world.period)

    by_name = {row.merchant.name: row for row in rows}
    assert (by_name["张记面馆"].redeemed, by_name["张记面馆"].refunded) == (2, 1)
    assert by_name["张记面馆"].points == Decimal("100")
    assert by_name["李记超市"].redeemed == 0 and by_name["李记超市"].settlement is None


def test_settlement_locks_the_shop_row_on_postgresql(world):
    if world.session.get_bind().dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite's write transaction serialises")
    world.redeem(100)
    statements = []
    engine = world.session.get_bind()

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        world.settle()
    finally:
        event.remove(engine, "before_cursor_execute", capture)

    assert any("FROM merchants" in s and "FOR NO KEY UPDATE" in s for s in statements)
