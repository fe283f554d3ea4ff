"""A community seeded through the real services, with the figures worked out by hand."""
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import ledger
from ledger.expiry import expire_points
from merchants import coupons
from merchants import services as shop_services
from points import months, wallets
from points.earning.services import reverse_credit
from points.extensions import unit_of_work
from points.timeutil import local, utcnow
from tests import factories


@dataclass
class Seeded:
    community: object
    other: object
    grid1: object
    grid2: object
    households: tuple
    residents: tuple
    merchant: object
    staff: object
    now: object
    since: object
    until: object


def two_grids(session, community):
    """Grid 1 with household 1; grid 2 with households 2 and 3."""
    grid1, grid2 = factories.make_grid(session, community), factories.make_grid(session, community)
    return grid1, grid2, (factories.make_household(session, community, grid1),
                          factories.make_household(session, community, grid2),
                          factories.make_household(session, community, grid2))


def seed(session):
    """Community A: grid 1 (household 1: r1, r4), grid 2 (household 2: r2; household 3: r3
    without points). Expected this month: issued 160, redeemed 20, expired 40; outstanding
    140; fund 1000.00. Community B has its own points, vouchers and fund."""
    now = utcnow()
    since, until = months.moments_of(months.this_month(now))
    today = local(now).date()
    community = factories.make_community(session, name="北新社区")
    grid1, grid2, (h1, h2, h3) = two_grids(session, community)
    r1 = factories.make_resident(session, community, household=h1, name="赵一")
    r2 = factories.make_resident(session, community, household=h2, name="钱二")
    r3 = factories.make_resident(session, community, household=h3, name="孙三")
    r4 = factories.make_resident(session, community, household=h1, name="李四")
    staff = factories.make_user(session, community, "staff", name="周干事")
    merchant = factories.make_merchant(session, community, name="北新小馆")
    owner = factories.make_user(session, community, "merchant_owner", name="张老板", merchant=merchant)

    factories.make_credit(session, r1, "30", today)                       # earn 30
    reversed_credit = factories.make_credit(session, r2, "20", today)     # earn 20 …
    factories.make_credit(session, r4, "10", today)                       # earn 10
    factories.give_points(session, r2, "100")                             # grant 100
    with unit_of_work(session):                                           # household grant 15
        account = ledger.open_account(session, community_id=community.id,
                                      owner_type=wallets.HOUSEHOLD, owner_id=h2.id)
        wallets.credit_points(session, account=account, community_id=community.id,
                              amount=Decimal("15"), key="test-household-grant", kind="grant")
    reverse_credit(session, actor=staff, credit_id=reversed_credit.id, reason="误批", now=now)  # −20
    factories.make_redemption(session, r1, merchant, 20, now)                 # redeem 20
    refunded = factories.make_redemption(session, r2, merchant, 30, now)     # redeem 30 …
    shop_services.refund_redemption(session, actor=owner, voucher_id=refunded.id,
                                    reason="退菜", now=now)                   # … refund 30
    factories.make_voucher(session, r2, merchant=merchant, points=10, now=now)  # held 10
    # 40 points granted two years ago expire now (outside the 12 months of series).
    old = now - timedelta(days=800)
    with unit_of_work(session):
        wallets.credit_points(session, account=wallets.wallet_id(session, r4),
                              community_id=community.id, amount=Decimal("40"),
                              key="test-old-grant", kind="grant", now=old)
    expire_points(session, community_id=community.id, as_of=today, now=now)      # expire 40
    factories.give_fund(session, community, "1000.00")
    # A coupon of 5 to everyone with 30 approved points this month: r1 only.
    rule = coupons.save_rule(session, actor=staff, community=community, now=now, values={
        "name": "月度奖励", "min_points": Decimal(30), "points": Decimal(5), "budget": Decimal(100),
        "valid_days": 30})
    report = coupons.issue_coupons(session, actor=staff, community=community, rule_id=rule.id,
                                   month=months.month_of(now), now=now)    # coupon 5
    assert report.issued == 1

    other = factories.make_community(session, name="南城社区")
    stranger = factories.make_resident(session, other, points="500", name="吴外")
    other_shop = factories.make_merchant(session, other, name="南城超市")
    factories.make_credit(session, stranger, "25", today)
    factories.make_redemption(session, stranger, other_shop, 70, now)
    factories.give_fund(session, other, "300.00")
    return Seeded(community=community, other=other, grid1=grid1, grid2=grid2,
                  households=(h1, h2, h3), residents=(r1, r2, r3, r4), merchant=merchant,
                  staff=staff, now=now, since=since, until=until)


@dataclass
class SeededMore:
    activity: object
    claim_type: object
    approved: object
    rejected: object
    last_month: str
    admin: object


def seed_more(session, s, upload_dir):
    """On top of ``seed`` (community A, this month unless said): an activity with two
    sign-ups and one waitlisted, both signed-up residents confirmed (8 points each); a
    claim of r3 approved twice (20 points, above the type's threshold of 10) and one of r4
    rejected with a formula-looking reason; grid 1 and grid 2 inspected (h1 and h3 pass,
    h2 fails); r2 redeems 15 points at the shop last month and the office settles it."""
    from merchants import settlement as settling
    from points.activities import attendance
    from points.claims import approvals, services as claim_services
    from points.inspections import services as inspection_services
    from points.residents.acting import acting_as_self
    from tests.merchants.test_settlement import last_month

    r1, r2, r3, r4 = s.residents
    now = utcnow()
    admin = factories.make_user(session, s.community, "admin", name="吴主任")
    kind = factories.make_activity_type(session, s.community, name="楼道清扫", unit="participation",
                                        points="8")
    activity = factories.make_activity(session, s.community, kind, title="=清洁家园", created_by=s.staff)
    factories.make_signup(session, activity, r1)
    factories.make_signup(session, activity, r3)
    factories.make_signup(session, activity, r2, status="waitlisted")
    attendance.confirm_attendance(session, actor=s.staff, community_id=s.community.id,
                                  activity_id=activity.id, now=now,
                                  attendees=[{"user_id": r1.id, "hours": None},
                                             {"user_id": r3.id, "hours": None}])
    claim_type = factories.make_activity_type(session, s.community, name="隐患上报", unit="participation",
                                              points="20", second_approval_above="10")
    approved = claim_services.file_claim(session, acting=acting_as_self(r3), type_id=claim_type.id,
                                         work_day=local(now).date(), hours=None, description="报告路灯坏了",
                                         upload_dir=upload_dir, now=now)
    approvals.approve_claim(session, actor=s.staff, community=s.community, claim_id=approved.id, now=now)
    approvals.approve_claim(session, actor=admin, community=s.community, claim_id=approved.id, now=now)
    rejected = claim_services.file_claim(session, acting=acting_as_self(r4), type_id=claim_type.id,
                                         work_day=local(now).date(), hours=None, description="扫了楼道",
                                         upload_dir=upload_dir, now=now)
    approvals.reject_claim(session, actor=s.staff, community=s.community, claim_id=rejected.id,
                           reason="=照片看不清", now=now)
    month = months.month_of(now)
    h1, h2, h3 = s.households
    good, bad = {"personal": 9, "home": 8, "public": 9}, {"personal": 3, "home": 4, "public": 5}
    inspection_services.score_grid(session, actor=s.staff, community=s.community, grid_id=s.grid1.id,
                                   month=month, now=now, entries=[{"household_id": h1.id, **good}])
    inspection_services.score_grid(session, actor=s.staff, community=s.community, grid_id=s.grid2.id,
                                   month=month, now=now, entries=[{"household_id": h2.id, **bad},
                                                                  {"household_id": h3.id, **good}])
    factories.make_redemption(session, r2, s.merchant, 15, last_month(now, day=3))
    period = months.month_of(last_month(now, day=3))
    settling.settle_merchant(session, actor=s.staff, community=s.community, merchant_id=s.merchant.id,
                             period=period, now=now)
    return SeededMore(activity=activity, claim_type=claim_type, approved=approved, rejected=rejected,
                      last_month=period, admin=admin)
