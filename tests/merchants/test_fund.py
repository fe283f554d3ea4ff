"""The community fund: donations and 义卖 income in, its movements, and its coverage of
the points still out."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import ledger
from ledger.errors import InvalidAmountError
from ledger.models import Transfer
from merchants import fund, settlement as settling
from merchants.models import FundIncome
from points.audit.models import AuditEvent
from points.errors import ForbiddenError, NotFoundError
from points.timeutil import local, utcnow
from tests import factories


@pytest.fixture
def office(db):
    community = factories.make_community(db.session)
    return db.session, community, factories.make_user(db.session, community, "admin", name="陈主任")


def record(session, community, actor, **values):
    now = values.pop("now", utcnow())
    defaults = dict(kind="donation", amount="500.00", source="北新商会", received_on=local(now).date(),
                    note="")
    return fund.record_income(session, actor=actor, community=community, now=now,
                              **{**defaults, **values})


def transfers(session):
    return session.scalar(select(func.count()).select_from(Transfer))


def test_a_donation_goes_from_income_into_the_fund_and_is_audited(office):
    session, community, actor = office

    recorded = record(session, community, actor, amount="1234.50", note="春节慰问")

    income = recorded.income
    assert recorded.created
    assert (income.kind, income.amount_cny, income.source, income.note) == (
        "donation", Decimal("1234.50"), "北新商会", "春节慰问")
    assert fund.fund_balance(session, community.id) == Decimal("1234.50")
    move = session.get(Transfer, income.transfer_id)
    assert (move.ledger, move.kind, move.actor_id) == ("CNY", "donation", actor.id)
    event_ = session.scalar(select(AuditEvent).where(AuditEvent.action == "fund.donation"))
    assert event_.after == {"kind": "donation", "amount_cny": "1234.50", "donor": "北新商会",
                            "received_on": income.received_on.isoformat(), "note": "春节慰问"}


def test_charity_sale_income_goes_into_the_fund_too(office):
    session, community, actor = office
    record(session, community, actor, amount="300")

    record(session, community, actor, kind="charity_sale", amount="86.40", source="旧物义卖")

    assert fund.fund_balance(session, community.id) == Decimal("386.40")
    assert session.scalar(select(AuditEvent.action).where(
        AuditEvent.object_type == "fund_income").order_by(AuditEvent.id.desc()).limit(1)) == "fund.charity_sale"


def test_the_same_form_posted_twice_records_once(office):
    session, community, actor = office
    first = record(session, community, actor, request_key="form-abc-123")

    again = record(session, community, actor, request_key="form-abc-123")

    assert not again.created and again.income.id == first.income.id
    assert fund.fund_balance(session, community.id) == Decimal("500.00")


@pytest.mark.parametrize("values, error", [
    (dict(amount="12.345"), InvalidAmountError),
    (dict(amount="0"), InvalidAmountError),
    (dict(amount="-5"), InvalidAmountError),
    (dict(amount="abc"), InvalidAmountError),
    (dict(kind="loan"), fund.UnknownIncomeKindError),
    (dict(source="   "), fund.IncomeSourceRequiredError),
])
def test_a_bad_income_is_refused_and_moves_nothing(office, values, error):
    session, community, actor = office

    with pytest.raises(error):
        record(session, community, actor, **values)

    assert transfers(session) == 0
    assert session.scalar(select(func.count()).select_from(FundIncome)) == 0


def test_an_income_dated_in_the_future_is_refused(office):
    session, community, actor = office
    tomorrow = local(utcnow()).date() + timedelta(days=1)

    with pytest.raises(fund.IncomeDateInFutureError):
        record(session, community, actor, received_on=tomorrow)

    assert transfers(session) == 0


def test_only_the_office_of_the_community_records_income(office):
    session, community, _actor = office
    grid_worker = factories.make_user(session, community, "grid_worker")
    outsider = factories.make_user(session, factories.make_community(session), "staff")

    with pytest.raises(ForbiddenError):
        record(session, community, grid_worker)
    with pytest.raises(NotFoundError):
        record(session, community, outsider)

    assert transfers(session) == 0


def test_coverage_is_the_fund_over_the_yuan_value_of_every_unspent_point(office):
    session, community, actor = office
    household = factories.make_household(session, community)
    resident = factories.make_resident(session, community, household=household, points="4000")
    factories.make_resident(session, community, points="1000")
    shop = factories.make_merchant(session, community)
    factories.make_redemption(session, resident, shop, 500, utcnow())  # 500 at the shop
    with factories.unit_of_work(session):
        factories.wallets.credit_points(
            session, account=ledger.open_account(session, community_id=community.id,
                                                 owner_type="household", owner_id=household.id),
            community_id=community.id, amount=Decimal("1000"), key="h", kind="earn")
    from merchants.services import issue_voucher
    from points.residents.acting import acting_as_self
    issue_voucher(session, acting=acting_as_self(resident), merchant_id=shop.id, points="250",
                  now=utcnow())  # held: still out
    record(session, community, actor, amount="60.00")

    seen = fund.overview(session, community)

    assert seen.outstanding_points == Decimal("6000")  # 4000 + 1000 + 1000 household
    assert seen.outstanding_cny == Decimal("120.00")
    assert seen.balance == Decimal("60.00") and seen.coverage_percent == Decimal("50.0")


def test_coverage_is_none_while_no_point_is_out(office):
    session, community, actor = office
    record(session, community, actor)

    seen = fund.overview(session, community)

    assert seen.outstanding_cny == 0 and seen.coverage_percent is None


def test_the_fund_lists_incomes_and_settlements_newest_first(office):
    session, community, actor = office
    resident = factories.make_resident(session, community, points="1000")
    shop = factories.make_merchant(session, community, name="张记面馆")
    record(session, community, actor, amount="100", source="张先生")
    now = utcnow()
    factories.make_redemption(session, resident, shop, 250,
                              settling.period_bounds(settling.previous_period(now))[0] + timedelta(days=2))
    settling.settle_merchant(session, actor=actor, community=community, merchant_id=shop.id,
                             period=settling.previous_period(now), now=now)

    lines = fund.movements(session, community.id)

    assert [(line.kind, line.amount) for line in lines] == [
        ("settlement", Decimal("-5.00")), ("donation", Decimal("100.00"))]
    assert lines[0].settlement.merchant.name == "张记面馆"
    assert lines[1].income.source == "张先生" and lines[0].balance_after == Decimal("95.00")
