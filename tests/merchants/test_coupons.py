"""积分券: rules, issuing a month once within its budget (funded by the community),
using a coupon at a shop, and unused coupons expiring back."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import ledger
from ledger.accounts import COMMUNITY, find_account
from ledger.models import Transfer
from ledger.verify import verify
from merchants import coupons, services, settlement as settling
from merchants.errors import OverBillCapError, ShopNotActiveError, ShopNotFoundError
from merchants.models import Coupon
from points import wallets
from points.audit.models import AuditEvent
from points.errors import ForbiddenError
from points.notifications.models import Notification
from points.residents.acting import acting_as_self
from points.timeutil import local, utcnow
from tests import factories


class Town:
    """A community, its office, a shop and three residents who worked this month."""

    def __init__(self, session):
        self.session = session
        self.community = factories.make_community(session)
        self.staff = factories.make_user(session, self.community, "staff", name="陈主任")
        self.shop = factories.make_merchant(session, self.community)
        self.owner = factories.make_user(session, self.community, "merchant_owner",
                                         merchant=self.shop)
        self.clerk = factories.make_user(session, self.community, "merchant_clerk",
                                         merchant=self.shop)
        self.now = utcnow()
        self.month = settling.period_of(self.now)
        self.today = local(self.now).date()
        self.people = {}
        for name, points in (("王秀英", "120"), ("李大爷", "300"), ("赵阿姨", "80")):
            person = factories.make_resident(session, self.community, name=name)
            factories.make_credit(session, person, points, self.today)
            self.people[name] = person

    def rule(self, **values):
        defaults = dict(name="本月积分券", min_points=Decimal("100"), points=Decimal("50"),
                        budget=Decimal("1000"), valid_days=30, active=True)
        return coupons.save_rule(self.session, actor=self.staff, community=self.community,
                                 values={**defaults, **values}, now=self.now)

    def issue(self, rule, month=None, now=None):
        return coupons.issue_coupons(self.session, actor=self.staff, community=self.community,
                                     rule_id=rule.id, month=month or self.month,
                                     now=now or self.now)

    def coupon_of(self, name):
        return self.session.scalar(select(Coupon).where(Coupon.user_id == self.people[name].id))

    def coupon_balance(self, name):
        account = find_account(self.session, community_id=self.community.id,
                               owner_type="resident", owner_id=self.people[name].id,
                               purpose="coupon")
        return ledger.balance_of(self.session, account) if account else None

    def source_balance(self):
        account = find_account(self.session, community_id=self.community.id,
                               owner_type=COMMUNITY, owner_id=self.community.id,
                               purpose="coupons")
        return ledger.balance_of(self.session, account).balance

    def use(self, name, shop=None, now=None):
        person = self.people[name]
        return coupons.issue_coupon_voucher(self.session, acting=acting_as_self(person),
                                            coupon_id=self.coupon_of(name).id,
                                            merchant_id=(shop or self.shop).id,
                                            now=now or self.now)

    def transfers(self):
        return self.session.scalar(select(func.count()).select_from(Transfer))


@pytest.fixture
def town(db):
    return Town(db.session)


# Rules -------------------------------------------------------------------------------

def test_office_staff_create_and_change_a_rule_recorded_in_the_audit_log(town):
    rule = town.rule()
    coupons.save_rule(town.session, actor=town.staff, community=town.community,
                      rule_id=rule.id, now=town.now,
                      values=dict(name=" 五月 积分券 ", min_points=Decimal("0"), points=Decimal("20"),
                                  budget=Decimal("200"), valid_days=7, active=False))

    saved = town.session.get(type(rule), rule.id)
    assert (saved.name, saved.points, saved.valid_days, saved.active) == (
        "五月 积分券", Decimal("20"), 7, False)
    events = town.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "coupon_rule")
                                  .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["coupon_rule.create", "coupon_rule.save"]
    assert events[1].before["rule_name"] == "本月积分券" and events[1].after["points"] == "20"


@pytest.mark.parametrize("values, error", [
    (dict(name="  "), coupons.CouponRuleNameRequiredError),
    (dict(points=Decimal("0")), coupons.CouponRuleAmountsError),
    (dict(points=Decimal("2.5")), coupons.CouponRuleAmountsError),
    (dict(min_points=Decimal("-1")), coupons.CouponRuleAmountsError),
    (dict(budget=Decimal("40")), coupons.CouponBudgetTooSmallError),
    (dict(valid_days=0), coupons.CouponValidDaysError),
    (dict(valid_days=367), coupons.CouponValidDaysError),
])
def test_a_bad_rule_is_refused_and_nothing_is_saved(town, values, error):
    with pytest.raises(error):
        town.rule(**values)

    assert coupons.list_rules(town.session, town.community.id) == []


def test_grid_workers_and_residents_cannot_define_rules(town):
    for role in ("grid_worker", "merchant_owner"):
        actor = factories.make_user(town.session, town.community, role,
                                    merchant=town.shop if role.startswith("merchant") else None)
        with pytest.raises(ForbiddenError):
            coupons.save_rule(town.session, actor=actor, community=town.community, now=town.now,
                              values=dict(name="x", min_points=Decimal("0"), points=Decimal("1"),
                                          budget=Decimal("1"), valid_days=1))


# Issuing -----------------------------------------------------------------------------

def test_issuing_gives_each_eligible_resident_one_coupon_paid_by_the_community(town):
    rule = town.rule()
    wallets_before = {name: wallets.wallet_balance(town.session, p) for name, p in town.people.items()}

    report = town.issue(rule)

    assert (report.issued, report.skipped_by_budget, report.already) == (2, 0, 0)
    assert report.points_issued == Decimal("100")
    assert town.coupon_of("赵阿姨") is None  # 80 approved points: below 100
    for name in ("王秀英", "李大爷"):
        coupon = town.coupon_of(name)
        assert (coupon.points, coupon.status, coupon.month) == (Decimal("50"), "issued", town.month)
        assert town.coupon_balance(name).balance == Decimal("50")
        assert wallets.wallet_balance(town.session, town.people[name]) == wallets_before[name]
    assert town.source_balance() == Decimal("-100")
    assert verify(town.session) == []


def test_a_coupon_is_good_for_its_valid_days_counting_the_day_of_issue(town):
    rule = town.rule(valid_days=30)

    town.issue(rule)

    coupon = town.coupon_of("李大爷")
    assert coupons.last_day(coupon) == town.today + timedelta(days=29)
    assert local(coupon.valid_until).time().hour == 0


def test_residents_are_told_of_their_coupon(town):
    town.issue(town.rule())

    told = town.session.scalar(select(Notification).where(
        Notification.user_id == town.people["李大爷"].id, Notification.kind == "coupon_issued"))
    assert told.link == "/coupons" and "50 积分" in told.body


def test_issuing_stops_at_the_budget_serving_the_most_active_first(town):
    rule = town.rule(min_points=Decimal("0"), budget=Decimal("100"))  # two coupons of 50

    report = town.issue(rule)

    assert (report.issued, report.skipped_by_budget) == (2, 1)
    assert town.coupon_of("李大爷") and town.coupon_of("王秀英")  # 300 and 120 points
    assert town.coupon_of("赵阿姨") is None  # 80 points: last in line
    assert town.source_balance() == Decimal("-100")


def test_residents_with_equal_points_are_served_by_id(town):
    late = factories.make_resident(town.session, town.community, name="钱先生")
    factories.make_credit(town.session, late, "300", town.today)
    rule = town.rule(budget=Decimal("50"))

    report = town.issue(rule)

    assert (report.issued, report.skipped_by_budget) == (1, 2)
    assert town.coupon_of("李大爷") is not None  # 300 points, the lower id of the two


def test_issuing_a_month_again_changes_nothing(town):
    rule = town.rule(budget=Decimal("100"), min_points=Decimal("0"))
    town.issue(rule)
    transfers, source = town.transfers(), town.source_balance()

    again = town.issue(rule)

    assert (again.issued, again.already, again.skipped_by_budget) == (0, 2, 1)
    assert town.transfers() == transfers and town.source_balance() == source
    assert town.session.scalar(select(func.count()).select_from(Coupon)) == 2


def test_issuing_again_serves_residents_who_became_eligible_since_within_the_budget(town):
    rule = town.rule()
    town.issue(rule)
    factories.make_credit(town.session, town.people["赵阿姨"], "20", town.today)  # 100 now

    again = town.issue(rule)

    assert (again.issued, again.already) == (1, 2)
    assert town.coupon_of("赵阿姨") is not None


def test_only_approved_points_of_that_month_count(town):
    rule = town.rule(min_points=Decimal("150"))
    factories.make_credit(town.session, town.people["王秀英"], "100",
                          town.today.replace(day=1) - timedelta(days=1))  # last month's work

    report = town.issue(rule)

    assert report.issued == 1  # 李大爷 only: 王秀英 has 120 this month
    assert town.coupon_of("王秀英") is None


def test_shop_staff_and_inactive_residents_get_no_coupon(town):
    factories.make_credit(town.session, town.owner, "500", town.today)
    gone = town.people["李大爷"]
    gone.active = False
    town.session.commit()

    report = town.issue(town.rule())

    assert report.issued == 1 and town.coupon_of("王秀英") is not None
    assert town.session.scalar(select(Coupon).where(Coupon.user_id.in_([gone.id, town.owner.id]))) is None


def test_a_past_month_can_be_issued_but_not_a_future_one(town):
    rule = town.rule(min_points=Decimal("0"))
    last = settling.previous_period(town.now)
    next_month = settling.period_of(town.now + timedelta(days=32))

    assert town.issue(rule, month=last).issued == 3
    transfers = town.transfers()
    with pytest.raises(coupons.MonthInFutureError):
        town.issue(rule, month=next_month)
    with pytest.raises(settling.InvalidPeriodError):
        town.issue(rule, month="2026/11")
    assert town.transfers() == transfers


def test_an_inactive_rule_issues_nothing(town):
    rule = town.rule(active=False)
    transfers = town.transfers()

    with pytest.raises(coupons.CouponRuleInactiveError):
        town.issue(rule)

    assert town.transfers() == transfers


def test_issuing_is_audited(town):
    rule = town.rule()

    town.issue(rule)

    event_ = town.session.scalar(select(AuditEvent).where(AuditEvent.action == "coupon.issue"))
    assert event_.object_id == rule.id
    assert event_.after == {"month": town.month, "issued": 2, "skipped_by_budget": 0,
                            "already": 0, "points": "100"}


# Using -------------------------------------------------------------------------------

def test_using_a_coupon_holds_its_value_from_the_coupon_account_not_the_wallet(town):
    town.issue(town.rule())
    wallet = wallets.wallet_balance(town.session, town.people["李大爷"])

    issued = town.use("李大爷")

    voucher = issued.voucher
    assert issued.created
    assert (voucher.funding, voucher.coupon_id, voucher.points) == (
        "coupon", town.coupon_of("李大爷").id, Decimal("50"))
    assert voucher.merchant_id == town.shop.id and voucher.title == "本月积分券"
    assert voucher.expires_at == town.now + timedelta(minutes=30)
    assert town.coupon_balance("李大爷") == ledger.Balance("POINTS", Decimal("0"), Decimal("50"))
    assert wallets.wallet_balance(town.session, town.people["李大爷"]) == wallet


def test_a_redeemed_coupon_is_used_and_its_points_are_the_shops_to_settle(town):
    town.issue(town.rule())
    voucher = town.use("李大爷").voucher

    services.redeem_voucher(town.session, clerk=town.clerk, voucher_id=voucher.id, now=town.now)

    assert town.coupon_of("李大爷").status == "used"
    statement = settling.statement_of(town.session, town.shop, town.month, town.community)
    assert statement.points == Decimal("50")
    with pytest.raises(coupons.CouponUsedError):
        town.use("李大爷")


def test_a_cancelled_coupon_voucher_gives_the_coupon_back_for_another_use(town):
    town.issue(town.rule())
    first = town.use("李大爷").voucher
    services.cancel_voucher(town.session, acting=acting_as_self(town.people["李大爷"]),
                            voucher_id=first.id, now=town.now)

    second = town.use("李大爷")

    assert second.created and second.voucher.id != first.id
    assert town.coupon_of("李大爷").status == "issued"
    assert town.coupon_balance("李大爷").held == Decimal("50")


def test_a_refunded_coupon_redemption_gives_the_coupon_back(town):
    town.issue(town.rule())
    voucher = town.use("李大爷").voucher
    services.redeem_voucher(town.session, clerk=town.clerk, voucher_id=voucher.id, now=town.now)

    services.refund_redemption(town.session, actor=town.owner, voucher_id=voucher.id,
                               reason="没货了", now=town.now)

    assert town.coupon_of("李大爷").status == "issued"
    assert town.coupon_balance("李大爷").balance == Decimal("50")
    assert town.use("李大爷").created


def test_asking_again_for_the_same_shop_returns_the_waiting_voucher(town):
    town.issue(town.rule())
    first = town.use("李大爷").voucher
    transfers = town.transfers()

    again = town.use("李大爷")

    assert not again.created and again.voucher.id == first.id
    assert town.transfers() == transfers


def test_a_coupon_waiting_at_one_shop_is_refused_at_another(town):
    other = factories.make_merchant(town.session, town.community, name="李记超市")
    town.issue(town.rule())
    town.use("李大爷")
    transfers = town.transfers()

    with pytest.raises(coupons.CouponInUseError):
        town.use("李大爷", shop=other)

    assert town.transfers() == transfers


def test_someone_elses_coupon_is_not_found(town):
    town.issue(town.rule())
    transfers = town.transfers()

    with pytest.raises(coupons.CouponNotFoundError):
        coupons.issue_coupon_voucher(town.session, acting=acting_as_self(town.people["王秀英"]),
                                     coupon_id=town.coupon_of("李大爷").id,
                                     merchant_id=town.shop.id, now=town.now)

    assert town.transfers() == transfers


def test_a_coupon_past_its_last_day_cannot_be_used(town):
    town.issue(town.rule(valid_days=1))
    transfers = town.transfers()

    with pytest.raises(coupons.CouponExpiredError):
        town.use("李大爷", now=town.coupon_of("李大爷").valid_until)

    assert town.transfers() == transfers


def test_a_voucher_never_outlives_its_coupon(town):
    town.issue(town.rule(valid_days=1))
    late = town.coupon_of("李大爷").valid_until - timedelta(minutes=10)

    voucher = town.use("李大爷", now=late).voucher

    assert voucher.expires_at == town.coupon_of("李大爷").valid_until


def test_a_coupon_is_refused_at_a_suspended_an_unknown_or_a_too_small_shop(town):
    town.issue(town.rule(points=Decimal("50")))
    suspended = factories.make_merchant(town.session, town.community, name="停业小店",
                                        status="suspended")
    small = factories.make_merchant(town.session, town.community, name="小卖部", per_bill_cap="30")
    far = factories.make_merchant(town.session, factories.make_community(town.session), name="远方")
    transfers = town.transfers()

    for shop, error in ((suspended, ShopNotActiveError), (small, OverBillCapError),
                        (far, ShopNotFoundError)):
        with pytest.raises(error):
            town.use("李大爷", shop=shop)

    assert town.transfers() == transfers
    assert town.coupon_balance("李大爷").held == 0


# Expiry ------------------------------------------------------------------------------

def test_an_unused_coupon_expires_back_to_the_community_exactly_once(town):
    town.issue(town.rule(valid_days=1))
    coupon = town.coupon_of("李大爷")
    later = coupon.valid_until + timedelta(seconds=1)

    assert coupons.expire_due_coupons(town.session, now=later) == 2
    assert coupons.expire_due_coupons(town.session, now=later) == 0
    assert coupons.expire_coupon(town.session, coupon.id, now=later) is False

    coupon = town.coupon_of("李大爷")
    assert coupon.status == "expired" and coupon.expire_transfer_id is not None
    assert town.coupon_balance("李大爷").balance == 0
    assert town.source_balance() == 0
    assert town.session.scalar(select(func.count()).select_from(Transfer).where(
        Transfer.kind == "coupon_expire")) == 2
    assert verify(town.session) == []


def test_a_coupon_not_yet_due_a_used_one_and_one_waiting_in_a_voucher_stay(town):
    town.issue(town.rule(valid_days=1))
    waiting = town.use("李大爷").voucher
    used = town.use("王秀英").voucher
    services.redeem_voucher(town.session, clerk=town.clerk, voucher_id=used.id, now=town.now)
    coupon = town.coupon_of("李大爷")

    assert coupons.expire_due_coupons(town.session, now=coupon.valid_until - timedelta(seconds=1)) == 0
    assert coupons.expire_coupon(town.session, coupon.id, now=coupon.valid_until) is False
    assert town.coupon_of("王秀英").status == "used"
    # Once the waiting voucher expires, the coupon goes back to the community.
    services.expire_voucher(town.session, waiting.id, now=coupon.valid_until)
    assert coupons.expire_coupon(town.session, coupon.id, now=coupon.valid_until) is True
    assert town.coupon_balance("李大爷") == ledger.Balance("POINTS", Decimal("0"), Decimal("0"))


def test_my_coupons_lists_usable_ones_first_soonest_to_end_first(town):
    month, last_month = town.month, settling.previous_period(town.now)
    long_one = town.rule(name="长期券", min_points=Decimal("0"), valid_days=60)
    short_one = town.rule(name="短期券", min_points=Decimal("0"), valid_days=30)
    gone = town.rule(name="过期券", min_points=Decimal("0"), valid_days=1)
    town.issue(long_one, month=month)
    town.issue(short_one, month=last_month, now=town.now - timedelta(days=20))
    town.issue(gone, month=last_month, now=town.now - timedelta(days=5))
    coupons.expire_due_coupons(town.session, now=town.now)

    mine = coupons.coupons_of(town.session, town.people["李大爷"], now=town.now)

    assert [item.rule.name for item in mine] == ["短期券", "长期券", "过期券"]
    assert [item.coupon.status for item in mine] == ["issued", "issued", "expired"]


# Command line ------------------------------------------------------------------------

def test_the_cli_issues_a_month_and_expires_coupons(app, town):
    rule = town.rule()
    runner = app.test_cli_runner()

    issued = runner.invoke(args=["coupons", "issue", "--month", town.month, "--by", town.staff.phone])
    again = runner.invoke(args=["coupons", "issue", "--month", town.month, "--by", town.staff.phone])
    expired = runner.invoke(args=["coupons", "expire"])
    refused = runner.invoke(args=["coupons", "issue", "--month", town.month,
                                  "--by", town.people["李大爷"].phone])

    assert issued.exit_code == 0, issued.output
    assert f"rule {rule.id} {town.month}: issued 2" in issued.output
    assert "issued 0" in again.output and "had one already 2" in again.output
    assert expired.exit_code == 0 and "expired 0 coupons" in expired.output
    assert refused.exit_code != 0
