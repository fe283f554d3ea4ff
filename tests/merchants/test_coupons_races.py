"""Races of real threads: two issuings of one rule's month give each resident one coupon
and never exceed the budget; two uses of one coupon make one voucher."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ledger.models import Transfer
from ledger.verify import verify
from merchants import coupons
from merchants.errors import MerchantError
from merchants.models import Coupon, Voucher
from points.auth.models import User
from points.communities.models import Community
from points.residents.acting import acting_as_self
from tests.merchants.test_coupons import Town
from tests.merchants.test_settlement_races import race

pytestmark = pytest.mark.slow


def test_two_issuings_of_one_month_stay_within_the_budget_and_give_once(db):
    town = Town(db.session)
    rule = town.rule(min_points=Decimal("0"), budget=Decimal("100"))  # two coupons
    ids = (town.staff.id, town.community.id, rule.id)

    def issue(session):
        report = coupons.issue_coupons(session, actor=session.get(User, ids[0]),
                                       community=session.get(Community, ids[1]),
                                       rule_id=ids[2], month=town.month, now=town.now)
        return report.issued

    results = race(db.engine, issue, issue, issue)

    assert sorted(results) == [0, 0, 2], results
    db.session.rollback()
    assert db.session.scalar(select(func.sum(Coupon.points))) == Decimal("100")
    assert db.session.scalar(select(func.count()).select_from(Transfer).where(
        Transfer.kind == "coupon")) == 2
    assert verify(db.session) == []


def test_two_uses_of_one_coupon_make_one_voucher(db):
    town = Town(db.session)
    town.issue(town.rule())
    resident_id, coupon_id, shop_id = (town.people["李大爷"].id, town.coupon_of("李大爷").id,
                                       town.shop.id)

    def use(session):
        issued = coupons.issue_coupon_voucher(
            session, acting=acting_as_self(session.get(User, resident_id)), coupon_id=coupon_id,
            merchant_id=shop_id, now=town.now)
        return issued.voucher.id

    results = race(db.engine, use, use, use, use)

    assert not [r for r in results if isinstance(r, (Exception, MerchantError))], results
    assert len(set(results)) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Voucher)) == 1
    assert town.coupon_balance("李大爷").held == Decimal("50")
    assert verify(db.session) == []
