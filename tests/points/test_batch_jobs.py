"""The county's batch jobs through Flask's CLI runner: ``ledger expire``, ``coupons issue
--all``, ``gamification refresh`` and ``settlements run``. Each does its work, a second
run posts nothing, and a run that dies inside a chunk (not the first) is simply run again
to the same books as one clean run; the ledger verifies after each."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

import ledger
from ledger import expiry
from ledger.models import Account, Transfer
from ledger.verify import verify
from merchants import coupons, settlement as settling
from merchants.models import Coupon, Settlement, Voucher
from points import wallets
from points.auth.models import User
from points.extensions import unit_of_work
from points.gamification import services as gamification
from points.gamification.models import BadgeAward, MonthlyTally, Standing
from points.notifications.models import Notification
from points.timeutil import local, start_of_local_date, utcnow
from tests import factories

EARNED_2024 = datetime(2024, 5, 1, 4, tzinfo=timezone.utc)
PEOPLE = 3  # residents per community


class Crash(Exception):
    """The job's process dying midway."""


class County:
    """Three communities (expiry on in the first two), each with its office, a shop, a
    coupon rule, ¥100 in the fund and three residents who earned 100 points in 2024,
    worked 30 points last month and spent 20 at the shop last month."""

    def __init__(self, session):
        self.session, self.now = session, utcnow()
        self.period = settling.previous_period(self.now)
        first = local(self.now).date().replace(day=1) - timedelta(days=1)
        last_month = first.replace(day=10)
        self.communities, self.residents, self.shops = [], [], []
        for name, expire in (("北新社区", True), ("南苑社区", True), ("城口社区", False)):
            community = factories.make_community(session, name=name)
            with unit_of_work(session):
                community.points_expire = expire
            staff = factories.make_user(session, community, "staff", name="陈主任")
            shop = factories.make_merchant(session, community)
            clerk = factories.make_user(session, community, "merchant_clerk", merchant=shop)
            factories.make_user(session, community, "merchant_owner", merchant=shop)
            factories.give_fund(session, community, "100.00")
            work = factories.make_activity_type(session, community)
            coupons.save_rule(session, actor=staff, community=community, now=self.now, values=dict(
                name="月度奖励", min_points=Decimal("20"), points=Decimal("5"),
                budget=Decimal("1000"), valid_days=30, active=True))
            for i in range(PEOPLE):
                person = factories.make_resident(session, community, name=f"居民{i}",
                                                 points="200")
                with unit_of_work(session):
                    wallets.credit_points(session, account=wallets.wallet_id(session, person),
                                          community_id=community.id, amount=Decimal(100),
                                          key=f"earn-2024-{person.id}", kind="earn",
                                          now=EARNED_2024)
                factories.make_credit(session, person, "30", last_month, work)
                factories.make_redemption(session, person, shop, 20,
                                          start_of_local_date(last_month) + timedelta(hours=12),
                                          clerk=clerk)
                self.residents.append(person)
            self.communities.append(community)
            self.shops.append(shop)

    def run(self, app, *args):
        return app.test_cli_runner().invoke(args=list(args))

    def books(self):
        """What the jobs change, without ids or moments: every transfer by key, balances,
        coupons, settlements, vouchers settled and notifications."""
        s = self.session
        s.rollback()
        return {
            "transfers": sorted(s.execute(select(Transfer.key, Transfer.kind, Transfer.amount))),
            "balances": sorted(s.execute(select(Account.id, Account.balance))),
            "coupons": sorted(s.execute(select(Coupon.user_id, Coupon.month, Coupon.points))),
            "settlements": sorted(s.execute(select(Settlement.merchant_id, Settlement.period,
                                                   Settlement.voucher_count,
                                                   Settlement.points, Settlement.amount_cny))),
            "unsettled": s.scalar(select(func.count()).select_from(Voucher)
                                  .where(Voucher.settlement_id.is_(None))),
            "notifications": sorted(s.execute(select(Notification.user_id, Notification.kind,
                                                     Notification.title))),
            "badges": sorted(s.execute(select(BadgeAward.user_id, BadgeAward.badge,
                                              BadgeAward.month))),
            "tallies": sorted(s.execute(select(MonthlyTally.user_id, MonthlyTally.month,
                                               MonthlyTally.points))),
            "standings": sorted(s.execute(select(Standing.user_id, Standing.points,
                                                 Standing.score, Standing.best_streak))),
        }

    def expire_transfers(self):
        return self.session.scalars(select(Transfer).where(Transfer.kind == "expire")).all()


@pytest.fixture
def county(db):
    return County(db.session)


def crash_on(monkeypatch, module, name, call):
    """Make ``module.name`` raise ``Crash`` on its ``call``-th call (1-based): the process
    dies inside a chunk after the earlier chunks were committed."""
    real, calls = getattr(module, name), []

    def dying(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise Crash()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, dying)


def assert_sound(session):
    session.rollback()
    assert verify(session) == []


# Points expiry -------------------------------------------------------------------------

EXPIRE = ("ledger", "expire", "--as-of", "2026-01-01")


def test_expiry_expires_every_due_account_once(app, db, county):
    first = county.run(app, *EXPIRE)

    assert first.exit_code == 0, first.output
    assert "expiry: 2/2 communities, 6 accounts, 600 points" in first.output
    assert "2026-01-01: 共 6 个账户，600 积分过期" in first.output
    moved = county.expire_transfers()
    assert sorted(t.amount for t in moved) == [Decimal(100)] * 6
    books = county.books()
    again = county.run(app, *EXPIRE)
    assert "2026-01-01: 共 0 个账户，0 积分过期" in again.output
    assert county.books() == books
    assert_sound(db.session)


def test_expiry_killed_midway_resumes_to_the_same_books(app, db, county, monkeypatch):
    crash_on(monkeypatch, expiry, "transfer", 4)  # inside the second community
    dead = county.run(app, *EXPIRE)
    assert isinstance(dead.exception, Crash)
    assert len(county.expire_transfers()) == 3  # the first community, and no half of one
    assert_sound(db.session)
    monkeypatch.undo()

    resumed = county.run(app, *EXPIRE)

    assert resumed.exit_code == 0, resumed.output
    assert "expiry: 2/2 communities, 3 accounts, 300 points" in resumed.output
    assert sorted(t.amount for t in county.expire_transfers()) == [Decimal(100)] * 6
    assert_sound(db.session)


# Coupons of every community ------------------------------------------------------------

def test_coupons_for_all_communities_once_each(app, db, county):
    first = county.run(app, "coupons", "issue", "--month", county.period, "--all")

    assert first.exit_code == 0, first.output
    assert f"coupons {county.period}: 3/3 communities, 9 issued" in first.output
    assert f"{county.period}: issued 9 coupons (45 points)" in first.output
    books = county.books()
    assert [row[0] for row in books["coupons"]] == sorted(p.id for p in county.residents)
    again = county.run(app, "coupons", "issue", "--month", county.period, "--all")
    assert f"{county.period}: issued 0 coupons (0 points), had one already 9" in again.output
    assert county.books() == books
    assert_sound(db.session)


def test_coupons_killed_midway_resume_to_the_same_books(app, db, county, monkeypatch):
    crash_on(monkeypatch, coupons, "notify", 5)  # the second coupon of the second community
    dead = county.run(app, "coupons", "issue", "--month", county.period, "--all")
    assert isinstance(dead.exception, Crash)
    assert len(county.books()["coupons"]) == PEOPLE  # the second community's chunk rolled back
    monkeypatch.undo()

    resumed = county.run(app, "coupons", "issue", "--month", county.period, "--all")

    assert resumed.exit_code == 0, resumed.output
    assert "issued 6 coupons (30 points), had one already 3" in resumed.output
    books = county.books()
    assert [row[0] for row in books["coupons"]] == sorted(p.id for p in county.residents)
    assert sum(1 for row in books["transfers"] if row[1] == "coupon") == 9
    assert_sound(db.session)


def test_coupons_all_refuses_a_rule_and_an_office_member_as_actor(app, db, county):
    staff = county.session.scalar(select(User).where(User.role == "staff"))
    before = county.books()
    by_staff = county.run(app, "coupons", "issue", "--month", county.period, "--all",
                          "--by", staff.phone)
    neither = county.run(app, "coupons", "issue", "--month", county.period)

    assert by_staff.exit_code == 1 and "district admin" in by_staff.output
    assert neither.exit_code == 2 and "--all" in neither.output
    assert county.books() == before and before["coupons"] == []


# Badges ------------------------------------------------------------------------------

def forget_game(session):
    with unit_of_work(session):
        for model in (BadgeAward, MonthlyTally, Standing):
            session.execute(delete(model))
        session.execute(delete(Notification).where(Notification.kind != "coupon_issued"))


def test_refresh_counts_everyone_once(app, db, county):
    forget_game(db.session)
    first = county.run(app, "gamification", "refresh")

    assert first.exit_code == 0, first.output
    assert "gamification: 3/3 communities, 9 people" in first.output
    books = county.books()
    assert len(books["standings"]) == 9 and books["badges"]
    again = county.run(app, "gamification", "refresh")
    assert again.output.splitlines()[-1] == "完成：共更新 9 人，新徽章 0 枚"
    assert county.books() == books
    assert_sound(db.session)


def test_refresh_killed_midway_resumes_to_the_same_books(app, db, county, monkeypatch):
    forget_game(db.session)
    assert county.run(app, "gamification", "refresh").exit_code == 0
    clean = county.books()
    forget_game(db.session)
    crash_on(monkeypatch, gamification, "refresh_people", 3)  # second community, 1st batch
    dead = county.run(app, "gamification", "refresh", "--batch", "2")
    assert isinstance(dead.exception, Crash)
    assert len(county.books()["standings"]) == PEOPLE  # its batch of two rolled back
    monkeypatch.undo()

    resumed = county.run(app, "gamification", "refresh", "--batch", "2")

    assert resumed.exit_code == 0, resumed.output
    assert county.books() == clean
    assert_sound(db.session)


# Settlement of every shop ---------------------------------------------------------------

def test_settlements_settle_every_shop_once(app, db, county):
    first = county.run(app, "settlements", "run", "--month", county.period)

    assert first.exit_code == 0, first.output
    assert f"settlements {county.period}: 3/3 shops, 3 settled, 0 refused, 9 vouchers, " \
           f"180 points" in first.output
    books = county.books()
    assert [row[:4] for row in books["settlements"]] == [
        (shop.id, county.period, PEOPLE, Decimal(60)) for shop in county.shops]
    assert books["unsettled"] == 0
    again = county.run(app, "settlements", "run", "--month", county.period)
    assert again.output.splitlines()[-1].startswith(f"{county.period}: settled 0 shops")
    assert county.books() == books
    assert_sound(db.session)


def test_settlements_killed_midway_resume_to_the_same_books(app, db, county, monkeypatch):
    crash_on(monkeypatch, settling, "tell_owners", 2)  # after the second shop's transfers
    dead = county.run(app, "settlements", "run", "--month", county.period)
    assert isinstance(dead.exception, Crash)
    assert len(county.books()["settlements"]) == 1
    assert_sound(db.session)
    monkeypatch.undo()

    resumed = county.run(app, "settlements", "run", "--month", county.period)

    assert resumed.exit_code == 0, resumed.output
    assert f"{county.period}: settled 2 shops (6 vouchers, 120 points" in resumed.output
    books = county.books()
    assert [row[0] for row in books["settlements"]] == [shop.id for shop in county.shops]
    assert sum(1 for row in books["transfers"] if row[1] == "settle") == 3
    assert books["unsettled"] == 0
    assert_sound(db.session)


def test_settlements_go_on_past_a_fund_short_shop_and_exit_1(app, db, county):
    with unit_of_work(db.session):  # 城口社区's fund is emptied
        fund = ledger.system_account(db.session, county.communities[2].id, ledger.CNY, "fund")
        paid = ledger.system_account(db.session, county.communities[2].id, ledger.CNY, "paid_out")
        ledger.transfer(db.session, debit=fund, credit=paid, amount=Decimal("100.00"),
                        key="test-empty-fund", kind="payout")

    result = county.run(app, "settlements", "run", "--month", county.period)

    assert result.exit_code == 1
    short = county.shops[2]
    assert f"{county.communities[2].name}: shop {short.id} not settled" in result.output
    assert "fund_insufficient" in result.output
    assert f"{county.period}: settled 2 shops" in result.output
    books = county.books()
    assert [row[0] for row in books["settlements"]] == [shop.id for shop in county.shops[:2]]
    assert books["unsettled"] == PEOPLE  # the short shop's vouchers wait for next time
    assert_sound(db.session)


def test_settlements_refuse_a_month_not_ended(app, db, county):
    before = county.books()
    result = county.run(app, "settlements", "run", "--month", settling.period_of(county.now))

    assert result.exit_code == 1 and "period_not_ended" in result.output
    assert county.books() == before and before["settlements"] == []
