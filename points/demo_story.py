"""What happened in the demo community over the last months, told through the services.

Every point in the demo is earned the way a real one is: activities published, signed up
for, checked in and confirmed; claims filed and approved; households inspected; goods
bought with vouchers that shops redeemed; a month settled from the fund. Each service
runs at the moment it happened (``now`` in the past), inside the demo's one transaction.
"""
import io
import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from PIL import Image, ImageDraw
from sqlalchemy import select

from merchants import catalogue, coupons, fund, services as vouchers, settlement
from points import wallets
from points.activities import attendance, checkin, services as activities
from points.claims import approvals, services as claims
from points.earning import services as earning
from points.earning.models import ActivityType
from points.inspections import services as inspections
from points.residents.acting import acting_as_self
from points.timeutil import local

# title, type, place, hours, capacity, days ago (None: upcoming, days ahead)
PAST_ACTIVITIES = (
    ("清洁家园：楼道大扫除", "环境卫生", "1-3 栋楼道", 3, 30, 140),
    ("敬老助老：独居老人上门探访", "敬老助老", "北新社区服务中心", 3, 28, 115),
    ("绿化认养：小游园补种", "绿化美化", "北新小游园", 3, 30, 90),
    ("文明交通劝导", "文明劝导", "北新街与建设北路口", 3, 28, 62),
    ("清洁家园：背街小巷清理", "环境卫生", "北新街背街小巷", 3, 30, 34),
    ("垃圾分类宣传", "文明劝导", "惠民超市门口", 3, 28, 12),
)
UPCOMING = (
    ("周六清洁家园", "环境卫生", "红星网格小广场", 2, 20, 5),
    ("重阳敬老包饺子", "敬老助老", "北新社区服务中心", 3, 12, 9),
)
# claimant index, type, days ago, hours, description, location
CLAIMS = (
    (0, "安全隐患上报", 20, None, "北新街 12 号井盖松动，已放置提示牌。", "北新街 12 号"),
    (2, "矛盾调解", 15, None, "调解 3 栋楼上楼下漏水纠纷，双方达成一致。", ""),
    (4, "敬老助老", 8, "2", "帮 5 栋独居的陈婆婆买菜、打扫。", ""),
    (6, "安全隐患上报", 3, None, "小游园路灯不亮，晚上老人散步看不清。", "北新小游园"),
    (1, "矛盾调解", 0, None, "劝和 2 栋楼道堆放杂物的两户邻居。", ""),
    (3, "敬老助老", 0, "3", "陪 4 栋王大爷去社区医院复查。", ""),
)
STORE_GOODS = (("洗衣液 2kg", "100", 20, 2), ("东北大米 5kg", "300", 10, 1),
               ("土鸡蛋 一盒 10 枚", "80", 30, 2), ("抽纸 一提", "60", 40, None))
SHOP_OFFERS = {"张记面馆": (("牛肉面一碗", "item", "150"),),
               "惠民超市": (("购物满 50 元减 5 元", "discount", "250"),),
               "阿香理发": (("老人理发一次", "item", "400"),)}


@dataclass
class Cast:
    community: object
    staff: object
    admin: object
    grid_workers: list
    residents: list
    shops: list
    clerks: list
    owners: list


def types_by_name(session, community):
    earning.ensure_default_types(session, community.id)
    return {t.name: t for t in session.scalars(select(ActivityType).where(
        ActivityType.community_id == community.id))}


def run_activity(session, cast, spec, people, *, now, types, held):
    """Publish an activity ``days`` ago (or ahead), sign ``people`` up; if it is past,
    check them in at the start and confirm attendance two hours later."""
    title, type_name, place, hours, capacity, days = spec
    start = (local(now) + timedelta(days=days if not held else -days)).replace(
        hour=9, minute=0, second=0, microsecond=0)
    created = start - timedelta(days=7)
    values = {"type_id": types[type_name].id, "title": title, "place": place,
              "description": "请穿方便活动的衣服，社区提供工具和饮用水。",
              "starts_at": start, "ends_at": start + timedelta(hours=hours),
              "capacity": capacity}
    activity = activities.create_activity(session, actor=cast.staff, community_id=cast.community.id,
                                          values=values, now=created)
    activities.publish_activity(session, actor=cast.staff, community_id=cast.community.id,
                                activity_id=activity.id, now=created)
    for person in people:
        activities.sign_up(session, acting=acting_as_self(person), community_id=cast.community.id,
                           activity_id=activity.id, now=created + timedelta(hours=1))
    if held:
        for person in people[:capacity]:
            code = checkin.card_of(session, person, now=created).code
            checkin.check_in_member(session, actor=cast.staff, community_id=cast.community.id,
                                    activity_id=activity.id, scanned=code, now=start)
        attendance.confirm_attendance(
            session, actor=cast.staff, community_id=cast.community.id, activity_id=activity.id,
            attendees=[{"user_id": p.id, "hours": None} for p in people[:capacity]],
            now=start + timedelta(hours=hours + 1))
    return activity


def tell_activities(session, cast, now):
    rng = random.Random(2026)
    types = types_by_name(session, cast.community)
    for spec in PAST_ACTIVITIES:
        people = [cast.residents[0], *rng.sample(cast.residents[1:], spec[4] - 4)]
        run_activity(session, cast, spec, people, now=now, types=types, held=True)
    for spec in UPCOMING:
        run_activity(session, cast, spec, cast.residents[:3], now=now, types=types, held=False)
    return types


def photo(seed):
    """A small JPEG standing in for a resident's photo (each one different)."""
    rng = random.Random(seed)
    image = Image.new("RGB", (640, 480), (rng.randint(90, 160),) * 3)
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randint(0, 600), rng.randint(0, 440)
        draw.rectangle((x, y, x + rng.randint(20, 160), y + rng.randint(20, 120)),
                       fill=tuple(rng.randint(0, 255) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def tell_claims(session, cast, types, now, upload_dir):
    """Four claims approved within minutes; two waiting in the queue."""
    for number, (index, type_name, days, hours, description, location) in enumerate(CLAIMS):
        filed_at = now - timedelta(days=days, minutes=40)
        pictures = (photo(number),) if types[type_name].photo_required else ()
        claim = claims.file_claim(
            session, acting=acting_as_self(cast.residents[index]), type_id=types[type_name].id,
            work_day=local(filed_at).date(), hours=Decimal(hours) if hours else None,
            description=description, location=location, photos=pictures,
            upload_dir=upload_dir, now=filed_at)
        if days:
            approvals.approve_claim(session, actor=cast.staff, community=cast.community,
                                    claim_id=claim.id, now=filed_at + timedelta(minutes=9))


def tell_inspections(session, cast, now):
    """Last month's inspection of both grids: most households pass (清洁户)."""
    first = local(now).replace(day=1)
    month = (first - timedelta(days=1)).strftime("%Y-%m")
    when = first - timedelta(days=3)
    for worker, grid in zip(cast.grid_workers, cast.community.grids):
        households = inspections.households_of(session, cast.community, grid.id)
        entries = [{"household_id": h.id, "personal": 8, "home": 9 if n % 4 else 5, "public": 8}
                   for n, h in enumerate(households)]
        inspections.score_grid(session, actor=worker, community=cast.community, grid_id=grid.id,
                               month=month, entries=entries, now=when)


def tell_mall(session, cast, now):
    """Store goods, shop offers, a donation and a charity sale into the fund."""
    goods = [catalogue.save_store_offer(
        session, actor=cast.staff, community_id=cast.community.id, now=now - timedelta(days=60),
        values={"title": title, "points": Decimal(points), "stock": stock,
                "monthly_limit": limit, "description": "社区积分超市，服务中心一楼领取。"})
        for title, points, stock, limit in STORE_GOODS]
    for shop, owner in zip(cast.shops, cast.owners):
        for title, kind, points in SHOP_OFFERS.get(shop.name, ()):
            catalogue.save_shop_offer(session, actor=owner, now=now - timedelta(days=60),
                                      values={"title": title, "kind": kind,
                                              "points": Decimal(points)})
    fund.record_income(session, actor=cast.admin, community=cast.community, kind="donation",
                       amount=Decimal("5000"), source="辖区共建单位", note="年度公益捐赠",
                       received_on=local(now - timedelta(days=100)).date(),
                       now=now - timedelta(days=100))
    fund.record_income(session, actor=cast.staff, community=cast.community, kind="charity_sale",
                       amount=Decimal("860.50"), source="端午义卖", note="手工香囊义卖",
                       received_on=local(now - timedelta(days=45)).date(),
                       now=now - timedelta(days=45))
    return goods


def tell_spending(session, cast, goods, now):
    """Last month: residents buy at the store and pay at 张记面馆; the month is settled.
    Today: the demo resident holds a voucher for rice, ready to show at the counter."""
    first = local(now).replace(day=1, hour=10, minute=0, second=0, microsecond=0)
    last_month = first - timedelta(days=10)
    noodle_shop, clerk = cast.shops[0], cast.clerks[0]
    richest = sorted(cast.residents[1:], key=lambda r: -wallets.wallet_balance(session, r).balance)
    for n, resident in enumerate(richest[:5]):
        at = last_month + timedelta(hours=n)
        shop_voucher = vouchers.issue_voucher(session, acting=acting_as_self(resident),
                                              merchant_id=noodle_shop.id, points="40", now=at)
        vouchers.redeem_voucher(session, clerk=clerk, voucher_id=shop_voucher.voucher.id,
                                now=at + timedelta(minutes=3))
        item = vouchers.issue_voucher(session, acting=acting_as_self(resident),
                                      offer_id=goods[3].id, now=at)
        vouchers.redeem_voucher(session, clerk=cast.staff, voucher_id=item.voucher.id,
                                now=at + timedelta(hours=2))
    settlement.settle_merchant(session, actor=cast.admin, community=cast.community,
                               merchant_id=noodle_shop.id,
                               period=last_month.strftime("%Y-%m"), now=first)
    vouchers.issue_voucher(session, acting=acting_as_self(cast.residents[0]),
                           offer_id=goods[0].id, now=now - timedelta(hours=1))


def tell_coupons(session, cast, now):
    rule = coupons.save_rule(session, actor=cast.admin, community=cast.community, now=now,
                             values={"name": "活跃志愿者积分券", "min_points": Decimal("20"),
                                     "points": Decimal("50"), "budget": Decimal("1000"),
                                     "valid_days": 30})
    # The month of the latest activity: whatever today's date, someone earned in it.
    month = local(now - timedelta(days=PAST_ACTIVITIES[-1][5])).strftime("%Y-%m")
    coupons.issue_coupons(session, actor=cast.admin, community=cast.community,
                          rule_id=rule.id, month=month, now=now)


def tell(session, cast, now, upload_dir):
    """The whole story, oldest first."""
    types = tell_activities(session, cast, now)
    tell_claims(session, cast, types, now, upload_dir)
    tell_inspections(session, cast, now)
    goods = tell_mall(session, cast, now)
    tell_spending(session, cast, goods, now)
    tell_coupons(session, cast, now)
