"""Concurrent credits to one person are counted against the caps one after another:
threads racing on PostgreSQL (row locks) and SQLite (one writer) never pass a cap, and
one piece of work credited from many threads at once is credited once."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ledger.verify import verify
from points import wallets
from points.auth.models import User
from points.earning import services
from points.earning.errors import CapReachedError
from points.earning.models import ActivityType, Credit
from tests import factories
from tests import races

THREADS = 8
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


def race(engine, action):
    """``action(session, i)`` as ``THREADS`` transactions started together."""
    return races.race(engine, [races.in_transaction(action, i) for i in range(THREADS)])


@pytest.fixture
def person(db):
    community = factories.make_community(db.session)
    resident = factories.make_resident(db.session, community)
    cleaning = factories.make_activity_type(db.session, community, points="10", daily_cap="40")
    return resident.id, cleaning.id


def credit(session, user_id, type_id, source_id, over_cap):
    return services.credit_work(session, user=session.get(User, user_id),
                                activity_type=session.get(ActivityType, type_id),
                                source="claim", source_id=source_id, work_day=date(2026, 11, 20),
                                points=Decimal("10"), over_cap=over_cap, now=NOW)


@pytest.mark.slow
@pytest.mark.parametrize("over_cap", ["refuse", "cut"])
def test_racing_credits_never_pass_the_daily_cap(db, person, over_cap):
    user_id, type_id = person

    results = race(db.engine, lambda s, i: credit(s, user_id, type_id, i, over_cap))

    unexpected = [r for r in results if isinstance(r, Exception)
                  and not isinstance(r, CapReachedError)]
    assert unexpected == []
    assert sum(1 for r in results if not isinstance(r, Exception) and r.created) == 4
    db.session.rollback()  # end the read snapshot taken before the race
    assert wallets.wallet_balance(db.session, db.session.get(User, user_id)).balance == 40
    assert verify(db.session) == []


@pytest.mark.slow
def test_one_piece_of_work_credited_from_many_threads_moves_once(db, person):
    user_id, type_id = person

    results = race(db.engine, lambda s, i: credit(s, user_id, type_id, 99, "refuse"))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert sum(r.created for r in results) == 1
    db.session.rollback()  # end the read snapshot taken before the race
    assert db.session.scalar(select(func.count()).select_from(Credit)) == 1
    assert wallets.wallet_balance(db.session, db.session.get(User, user_id)).balance == 10
