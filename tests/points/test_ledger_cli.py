"""``flask ledger verify | expire | expiring`` through Flask's CLI runner."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text

from points import wallets
from points.extensions import unit_of_work
from tests import factories

EARNED_2024 = datetime(2024, 5, 1, 4, tzinfo=timezone.utc)


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["ledger", *args])


def _earn(session, user, points, now=EARNED_2024):
    with unit_of_work(session):
        account = wallets.wallet_id(session, user)
        wallets.credit_points(session, account=account, community_id=user.community_id,
                              amount=Decimal(points), key=f"earn-{user.id}-{now:%Y}",
                              kind="earn", now=now)
    return account


@pytest.fixture
def residents(db):
    """One resident where points expire and one where they do not, 100 points each."""
    strict = factories.make_community(db.session, name="北新社区")
    with unit_of_work(db.session):
        strict.points_expire = True
    lenient = factories.make_community(db.session, name="南苑社区")
    expiring, keeping = (factories.make_resident(db.session, community)
                         for community in (strict, lenient))
    for user in (expiring, keeping):
        _earn(db.session, user, "100")
    return expiring, keeping


def test_verify_prints_ok_on_a_sound_ledger(app, residents):
    result = _run(app, "verify")
    assert (result.exit_code, result.output) == (0, "OK\n")


def test_verify_prints_each_breach_and_exits_1(app, db, residents):
    expiring, _ = residents
    account = wallets.wallet_id(db.session, expiring)
    db.session.execute(text("UPDATE ledger_accounts SET balance = 12300 WHERE id = :id"),
                       {"id": account})
    db.session.commit()
    result = _run(app, "verify")
    assert result.exit_code == 1
    assert f"account {account} (POINTS resident:{expiring.id}/main): cached balance 123 " \
           f"!= sum of entries 100" in result.output
    assert "OK" not in result.output


def test_expire_runs_only_where_the_policy_is_on_and_is_idempotent(app, db, residents):
    expiring, keeping = residents
    first = _run(app, "expire", "--as-of", "2026-01-01")
    assert first.exit_code == 0, first.output
    assert "北新社区" in first.output and "南苑社区" not in first.output
    assert "2026-01-01: 共 1 个账户，100 积分过期" in first.output
    again = _run(app, "expire", "--as-of", "2026-01-01")
    assert "2026-01-01: 共 0 个账户，0 积分过期" in again.output
    assert wallets.wallet_balance(db.session, expiring).balance == Decimal("0")
    assert wallets.wallet_balance(db.session, keeping).balance == Decimal("100")
    assert _run(app, "verify").output == "OK\n"


def test_expire_before_the_deadline_moves_nothing(app, db, residents):
    expiring, _ = residents
    result = _run(app, "expire", "--as-of", "2025-12-31")
    assert "共 0 个账户，0 积分过期" in result.output
    assert wallets.wallet_balance(db.session, expiring).balance == Decimal("100")


def test_expiring_lists_who_has_points_due_within_the_days(app, db, residents):
    expiring, _ = residents
    result = _run(app, "expiring", "--days", "30", "--as-of", "2025-12-10")
    assert result.exit_code == 0, result.output
    assert f"resident:{expiring.id}" in result.output
    assert "100 积分 2025-12-31 到期" in result.output
    assert "1 个账户的积分将在 30 天内到期" in result.output
    later = _run(app, "expiring", "--days", "30", "--as-of", "2025-11-01")
    assert "0 个账户的积分将在 30 天内到期" in later.output


def test_expire_refuses_a_malformed_date(app):
    result = _run(app, "expire", "--as-of", "2026/01/01")
    assert result.exit_code == 2
