"""Races of real threads: the same income form posted several times at once records it
once (the request key is unique, and so is the ledger transfer's key)."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ledger.verify import verify
from merchants import fund
from merchants.models import FundIncome
from points.auth.models import User
from points.communities.models import Community
from points.timeutil import local, utcnow
from tests import factories
from tests.merchants.test_settlement_races import race

pytestmark = pytest.mark.slow


def test_one_form_posted_four_times_at_once_records_once(db):
    community = factories.make_community(db.session)
    staff = factories.make_user(db.session, community, "staff")
    ids, now = (staff.id, community.id), utcnow()

    def post(session):
        recorded = fund.record_income(
            session, actor=session.get(User, ids[0]), community=session.get(Community, ids[1]),
            kind="donation", amount="88.80", source="北新商会", received_on=local(now).date(),
            request_key="one-form-shown-once", now=now)
        return recorded.created, recorded.income.id

    results = race(db.engine, post, post, post, post)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(created for created, _id in results) == [False, False, False, True]
    assert len({income_id for _created, income_id in results}) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(FundIncome)) == 1
    assert fund.fund_balance(db.session, community.id) == Decimal("88.80")
    assert verify(db.session) == []
