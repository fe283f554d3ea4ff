"""The people and things the authorization matrix (test_authorization_matrix.py) walks
every route with, built once per database through the services.

Community A (code ``a``) holds everything the URLs name: the resident 王秀英 (with a
claim and its photo, a request and its photo, vouchers, a coupon, a credit), her son as
亲情代理, a neighbour with things of her own (the object-level checks read them by id),
张记面馆 (owner and clerk, an offer, a device, a settled month) and 李记水果 (another
shop with its own clerk, voucher and settlement), a grid worker of her grid, staff and an
admin. Community B (code ``b``) holds its own staff member, resident and shop.
"""
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import select

from merchants import catalogue, coupons, devices, settlement
from merchants.models import Coupon
from points.auth.models import ProxyGrant
from points.claims import services as claim_services
from points.claims.models import ClaimPhoto
from points.extensions import unit_of_work
from points.inspections import services as inspections
from points.inspections.models import InspectionScore
from points.notifications.services import notify
from points.residents.acting import acting_as_self
from points.tasks import services as task_services
from points.tasks import staff as task_staff
from points.tasks.models import RequestPhoto
from points.timeutil import utcnow
from tests import factories
from tests.points.claims.conftest import photo_bytes


def build(session, instance):
    """Everything, in communities A and B; returns a namespace of objects and plain ids."""
    now = utcnow()
    last_month = now.replace(day=1) - timedelta(days=3)
    make = factories
    a = make.make_community(session, name="北新社区", code="a")
    b = make.make_community(session, name="城口社区", code="b")
    grid = make.make_grid(session, a, name="红星网格")
    far_grid = make.make_grid(session, a, name="东风网格")
    home = make.make_household(session, a, grid, address="3栋2单元401")
    w = SimpleNamespace(a=a, b=b, grid=grid, month=f"{now:%Y-%m}", period=f"{last_month:%Y-%m}")
    w.resident = make.make_resident(session, a, household=home, name="王秀英", points="2000")
    w.proxy = make.make_resident(session, a, name="王小明", points="100",
                                 household=make.make_household(session, a, far_grid))
    w.neighbour = make.make_resident(session, a, name="赵桂兰", points="2000",
                                     household=make.make_household(session, a, grid))
    w.victim = make.make_resident(session, a, name="钱大妈",  # anonymised by the matrix
                                  household=make.make_household(session, a, grid))
    w.shop = make.make_merchant(session, a, name="张记面馆")
    w.other_shop = make.make_merchant(session, a, name="李记水果")
    w.pending_shop = make.make_merchant(session, a, name="新开小店", status="pending")
    w.owner = make.make_user(session, a, "merchant_owner", name="张建国", merchant=w.shop)
    w.clerk = make.make_user(session, a, "merchant_clerk", name="李小红", merchant=w.shop)
    w.other_clerk = make.make_user(session, a, "merchant_clerk", name="李四",
                                   merchant=w.other_shop)
    w.grid_worker = make.make_user(session, a, "grid_worker", name="刘网格", grids=[grid])
    w.staff = make.make_user(session, a, "staff", name="陈干事")
    w.admin = make.make_user(session, a, "admin", name="周书记")
    w.district = make.make_user(session, None, "district_admin", name="钱区长")
    w.b_staff = make.make_user(session, b, "staff", name="城口干事")
    w.b_resident = make.make_resident(session, b, name="周大爷", points="100")
    with unit_of_work(session):
        w.grant = ProxyGrant(resident_id=w.resident.id, proxy_id=w.proxy.id, relation="子女",
                             granted_by_id=w.staff.id)
        w.spare_grant = ProxyGrant(resident_id=w.neighbour.id, proxy_id=w.victim.id,
                                   relation="邻居", granted_by_id=w.staff.id)
        session.add_all([w.grant, w.spare_grant])

    # Earning: a type, an activity, a claim with a photo, a credit, an inspection score.
    w.kind = make.make_activity_type(session, a, name="环境卫生", photo_required=True)
    w.activity = make.make_activity(session, a, w.kind, created_by=w.staff,
                                    starts_at=now + timedelta(days=3))
    w.draft = make.make_activity(session, a, w.kind, created_by=w.staff, status="draft",
                                 starts_at=now + timedelta(days=4), published_at=None)
    claims_dir = Path(instance) / "uploads" / "claims"

    def claim_of(user):
        return claim_services.file_claim(
            session, acting=acting_as_self(user), type_id=w.kind.id, work_day=now.date(),
            hours="1", description="打扫楼道", location="", photos=[photo_bytes(seed=user.id)],
            upload_dir=claims_dir, now=now)

    w.claim = claim_of(w.resident)
    w.neighbour_claim = claim_of(w.neighbour)
    w.claim_photo = session.scalar(select(ClaimPhoto.position)
                                   .where(ClaimPhoto.claim_id == w.claim.id))
    w.credit = make.make_credit(session, w.resident, "30", now.date(), w.kind)
    make.make_credit(session, w.neighbour, "30", now.date(), w.kind)  # her coupon too
    inspections.score_grid(session, actor=w.admin, community=a, grid_id=grid.id,
                           month=w.month, now=now,
                           entries=[{"household_id": home.id, "personal": 8, "home": 8,
                                     "public": 8}])
    w.score = session.scalar(select(InspectionScore.id))

    # Requests and tasks: the resident's request (with a photo), the neighbour's request,
    # and a task published from the neighbour's request that anyone may volunteer for.
    requests_dir = Path(instance) / "uploads" / "requests"

    def request_of(user):
        return task_services.file_request(
            session, acting=acting_as_self(user), category="escort", description="陪同去医院",
            place="3栋2单元401", preferred_time="周三上午", urgent=False,
            photos=[photo_bytes(seed=user.id + 99)], upload_dir=requests_dir, now=now)

    w.request = request_of(w.resident)
    w.neighbour_request = request_of(w.neighbour)
    w.task_request = request_of(w.neighbour)
    w.task = task_staff.publish_request(
        session, actor=w.staff, community=a, request_id=w.task_request.id, title="陪赵桂兰去医院",
        type_id=w.kind.id, points="20", volunteers_needed=3, deadline=now + timedelta(days=2),
        now=now)
    w.request_photo = session.scalar(select(RequestPhoto.position)
                                     .where(RequestPhoto.request_id == w.request.id))

    # The mall: offers, vouchers, redemptions, a settled month for each shop.
    w.offer = make.make_offer(session, a, w.shop, title="牛肉面", points="20")
    w.store_offer = make.make_offer(session, a, None, title="大米 5 斤", points="100")
    catalogue.set_store_offer_photo(session, actor=w.staff, community_id=a.id,
                                    offer_id=w.store_offer.id, raw=photo_bytes(seed=5),
                                    directory=Path(instance) / "uploads" / "offers", now=now)
    w.voucher = make.make_voucher(session, w.resident, w.offer)
    w.neighbour_voucher = make.make_voucher(session, w.neighbour, w.offer)
    w.other_shop_voucher = make.make_voucher(session, w.neighbour, merchant=w.other_shop,
                                             points="10")
    make.give_fund(session, a, "5000.00")
    make.make_redemption(session, w.resident, w.shop, "15", last_month, clerk=w.clerk)
    make.make_redemption(session, w.neighbour, w.other_shop, "15", last_month,
                         clerk=w.other_clerk)
    w.settlement = settlement.settle_merchant(session, actor=w.staff, community=a,
                                              merchant_id=w.shop.id, period=w.period,
                                              now=now).settlement
    w.other_settlement = settlement.settle_merchant(session, actor=w.staff, community=a,
                                                    merchant_id=w.other_shop.id,
                                                    period=w.period, now=now).settlement
    w.refundable = make.make_redemption(session, w.resident, w.shop, "12", now, clerk=w.clerk)
    w.neighbour_redeemed = make.make_redemption(session, w.neighbour, w.other_shop, "11", now,
                                                clerk=w.other_clerk)

    # Coupons, devices, a notification.
    w.rule = coupons.save_rule(session, actor=w.staff, community=a, now=now, values={
        "name": "月度奖励", "min_points": Decimal("10"), "points": Decimal("20"),
        "budget": Decimal("1000"), "valid_days": 30, "active": True})
    coupons.issue_coupons(session, actor=w.staff, community=a, rule_id=w.rule.id,
                          month=w.month, now=now)
    w.coupon = session.scalar(select(Coupon.id).where(Coupon.user_id == w.resident.id))
    w.neighbour_coupon = session.scalar(select(Coupon.id).where(Coupon.user_id == w.neighbour.id))
    assert w.coupon and w.neighbour_coupon, "the coupon rule gave both residents a coupon"
    _, w.device = devices.issue_device_token(session, owner=w.owner, clerk_id=w.clerk.id,
                                             label="收银台", now=now, ttl=timedelta(days=30))
    _, w.spare_device = devices.issue_device_token(session, owner=w.owner, clerk_id=w.clerk.id,
                                                   label="备用机", now=now,
                                                   ttl=timedelta(days=30))
    with unit_of_work(session):
        w.notification = notify(session, user=w.resident, kind="test", title="通知",
                                body="您有一条通知", now=now)
    return frozen(w)


def frozen(w):
    """The world with each row as a plain namespace of its columns: usable after the
    session that made it is gone, and never refreshed behind the test's back."""
    for name, value in vars(w).items():
        table = getattr(value, "__table__", None)
        if table is not None:
            setattr(w, name, SimpleNamespace(**{column.key: getattr(value, column.key)
                                                for column in table.columns}))
    return w
