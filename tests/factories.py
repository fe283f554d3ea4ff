"""Plain functions that build rows with sensible defaults; each commits its own work."""
import itertools
from decimal import Decimal

from points.auth import services as auth_services
from points.auth.models import GridAssignment
from points.communities.models import Community, Grid
from points.extensions import unit_of_work
from points.households.models import Household
from points import wallets
from merchants.models import Merchant

PASSWORD = "test-password-1"
_numbers = itertools.count(1)


def next_phone():
    return f"139{next(_numbers):08d}"


def make_community(session, name="北新社区", code=None):
    with unit_of_work(session):
        community = Community(name=name, code=code or f"c{next(_numbers)}", district="成都市")
        session.add(community)
    return community


def make_grid(session, community, name=None):
    with unit_of_work(session):
        grid = Grid(community_id=community.id, name=name or f"第{next(_numbers)}网格")
        session.add(grid)
    return grid


def make_household(session, community, grid=None, address=None):
    grid = grid or make_grid(session, community)
    with unit_of_work(session):
        household = Household(community_id=community.id, grid_id=grid.id,
                              address=address or f"{next(_numbers)}栋1单元101")
        session.add(household)
    return household


def make_merchant(session, community, name="张记面馆", status="active", per_bill_cap="500"):
    with unit_of_work(session):
        merchant = Merchant(community_id=community.id, name=name, status=status,
                            per_bill_cap=Decimal(per_bill_cap), address="北新街 1 号")
        session.add(merchant)
    return merchant


def make_user(session, community, role="resident", *, name="张三", phone=None, password=PASSWORD,
              household=None, merchant=None, grids=(), must_change_password=False):
    with unit_of_work(session):
        user = auth_services.create_user(
            session, phone=phone or next_phone(), name=name, role=role, password=password,
            community_id=community.id if community else None,
            household_id=household.id if household else None,
            merchant_id=merchant.id if merchant else None,
            must_change_password=must_change_password)
        for grid in grids:
            session.add(GridAssignment(user_id=user.id, grid_id=grid.id))
    return user


def make_resident(session, community=None, *, points="0", household=None, **kwargs):
    """A resident with a household and ``points`` credited to their wallet."""
    community = community or make_community(session)
    household = household or make_household(session, community)
    user = make_user(session, community, "resident", household=household, **kwargs)
    if Decimal(points) > 0:
        give_points(session, user, points)
    return user


def give_points(session, user, points, key=None, now=None):
    """A grant into the user's wallet, posted at ``now`` (default: the real clock)."""
    with unit_of_work(session):
        account = wallets.wallet_id(session, user)
        wallets.credit_points(session, account=account, community_id=user.community_id,
                              amount=Decimal(points), key=key or f"test-grant-{next(_numbers)}",
                              kind="grant", reason="测试发放", now=now)
    return account


def sign_in(client, user, password=PASSWORD):
    return client.post("/sign-in", data={"phone": user.phone, "password": password})


def bearer(client, user, password=PASSWORD):
    response = client.post("/api/v1/auth/token", json={"phone": user.phone, "password": password})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


# --- earning: activity types -------------------------------------------------------------

def make_activity_type(session, community, **fields):
    """An activity type of ``community``: 环境卫生, 10 points an hour, no caps unless given
    (``points``, ``daily_cap``… as strings or Decimals)."""
    from points.earning.models import ActivityType

    values = dict(name=f"环境卫生{next(_numbers)}", category="environment", unit="hour",
                  points="10", daily_cap=None, monthly_cap=None, photo_required=False,
                  location_required=False, second_approval_above=None, active=True)
    values.update(fields)
    for name in ("points", "daily_cap", "monthly_cap", "second_approval_above"):
        values[name] = Decimal(values[name]) if values[name] is not None else None
    with unit_of_work(session):
        activity_type = ActivityType(community_id=community.id, **values)
        session.add(activity_type)
    return activity_type


# --- activities: events, sign-ups ------------------------------------------------------

def make_activity(session, community, activity_type=None, **fields):
    """A published activity of ``community``, started ten minutes ago and two hours long,
    check-in from half an hour before the start until the end; the type's points (and
    two hours under a per-hour type). ``created_by`` defaults to a new staff member."""
    import secrets
    from datetime import timedelta

    from points.activities.models import Activity
    from points.timeutil import utcnow

    activity_type = activity_type or make_activity_type(session, community)
    creator = fields.pop("created_by", None) or make_user(session, community, "staff", name="组织人")
    starts_at = fields.pop("starts_at", None) or utcnow() - timedelta(minutes=10)
    ends_at = fields.pop("ends_at", None) or starts_at + timedelta(hours=2)
    values = dict(title="清洁家园", place="北新街小广场", status="published", capacity=30,
                  points=activity_type.points, checkin_opens_at=starts_at - timedelta(minutes=30),
                  checkin_closes_at=ends_at, rotation_secret=secrets.token_hex(32),
                  hours=Decimal("2") if activity_type.unit == "hour" else None,
                  published_at=starts_at - timedelta(days=1))
    values.update(fields)
    for name in ("points", "hours"):
        values[name] = Decimal(values[name]) if values[name] is not None else None
    with unit_of_work(session):
        activity = Activity(community_id=community.id, type_id=activity_type.id,
                            created_by_id=creator.id, starts_at=starts_at, ends_at=ends_at,
                            **values)
        session.add(activity)
    return activity


def make_signup(session, activity, user, status="signed_up"):
    """``user``'s place on ``activity`` (``signed_up`` or ``waitlisted``), last in line."""
    from sqlalchemy import func, select

    from points.activities.models import SignUp
    from points.timeutil import utcnow

    with unit_of_work(session):
        last = session.scalar(select(func.max(SignUp.queue_no))
                              .where(SignUp.activity_id == activity.id)) or 0
        signup = SignUp(community_id=activity.community_id, activity_id=activity.id,
                        user_id=user.id, status=status, queue_no=last + 1, queued_at=utcnow())
        session.add(signup)
    return signup


# --- fund, coupons and settlement ------------------------------------------------------

def make_credit(session, user, points, work_day, activity_type=None):
    """Approved points for work done on ``work_day`` (a local date), through credit_work."""
    from points.earning.services import credit_work
    from points.timeutil import utcnow

    community = session.get(Community, user.community_id)
    activity_type = activity_type or make_activity_type(session, community, points=points)
    with unit_of_work(session):
        earned = credit_work(session, user=user, activity_type=activity_type, source="test",
                             source_id=next(_numbers), work_day=work_day,
                             points=Decimal(points), now=utcnow())
    return earned.credit


def give_fund(session, community, amount="1000.00"):
    """Yuan in the community's fund (``income`` → ``fund``), without the office's form."""
    import ledger

    with unit_of_work(session):
        ledger.transfer(session, debit=ledger.system_account(session, community.id, ledger.CNY, "income"),
                        credit=ledger.system_account(session, community.id, ledger.CNY, "fund"),
                        amount=Decimal(amount), key=f"test-fund-{next(_numbers)}", kind="donation")


def make_redemption(session, resident, merchant, points, at, clerk=None):
    """A voucher of ``points`` made by ``resident`` at ``merchant`` and redeemed there at
    ``at`` (an aware moment, e.g. last month)."""
    from merchants import services
    from points.residents.acting import acting_as_self

    issued = services.issue_voucher(session, acting=acting_as_self(resident),
                                    merchant_id=merchant.id, points=str(points), now=at).voucher
    clerk = clerk or make_user(session, session.get(Community, merchant.community_id),
                               "merchant_clerk", name="店员", merchant=merchant)
    return services.redeem_voucher(session, clerk=clerk, voucher_id=issued.id, now=at)


# --- scanning and redemptions ----------------------------------------------------------

def make_held_voucher(session, resident, merchant=None, *, points="30", title="牛肉面一碗",
                      now=None):
    """A held voucher of ``resident`` for a new offer (5 in stock) of ``merchant`` (None:
    the community store), made through ``issue_voucher``: points held, one unit reserved."""
    from merchants import services
    from merchants.models import Offer
    from points.residents.acting import acting_as_self
    from points.timeutil import utcnow

    with unit_of_work(session):
        offer = Offer(community_id=resident.community_id, title=title, points=Decimal(points),
                      merchant_id=merchant.id if merchant else None, stock=5)
        session.add(offer)
    return services.issue_voucher(session, acting=acting_as_self(resident), offer_id=offer.id,
                                  now=now or utcnow()).voucher


def make_scan_world(session, points="500"):
    """Everyone a scan involves, in 北新社区: a resident with ``points``, 张记面馆 with its
    owner and clerk, another shop's clerk, an office staff member at the store counter, and
    a resident of another community with a voucher of their own there."""
    from types import SimpleNamespace

    community = make_community(session, name="北新社区")
    shop = make_merchant(session, community, name="张记面馆")
    other_shop = make_merchant(session, community, name="李记水果")
    elsewhere = make_community(session, name="城口社区")
    far_shop = make_merchant(session, elsewhere, name="城口小卖部")
    world = SimpleNamespace(
        community=community, shop=shop, other_shop=other_shop, elsewhere=elsewhere,
        far_shop=far_shop,
        resident=make_resident(session, community, name="王秀英", points=points),
        neighbour=make_resident(session, community, name="赵桂兰", points=points),
        owner=make_user(session, community, "merchant_owner", name="张建国", merchant=shop),
        clerk=make_user(session, community, "merchant_clerk", name="李小红", merchant=shop),
        other_clerk=make_user(session, community, "merchant_clerk", name="李四", merchant=other_shop),
        staff=make_user(session, community, "staff", name="陈干事"),
        far_resident=make_resident(session, elsewhere, name="周大爷", points=points),
        far_clerk=make_user(session, elsewhere, "merchant_clerk", name="周店员", merchant=far_shop),
    )
    return world


# --- mall: offers and vouchers ---------------------------------------------------------

def make_offer(session, community, merchant=None, **fields):
    """An offer of the community store (``merchant`` None) or of ``merchant``: 大米 5 斤
    for 100 points, 10 in stock, unless ``fields`` say otherwise (``stock=None``:
    unlimited)."""
    from merchants.models import Offer

    values = dict(title="大米 5 斤", kind="item", points="100", stock=10, monthly_limit=None,
                  active=True, description="")
    values.update(fields)
    values["points"] = Decimal(values["points"])
    with unit_of_work(session):
        offer = Offer(community_id=community.id, merchant_id=merchant.id if merchant else None,
                      **values)
        session.add(offer)
    return offer


def make_voucher(session, resident, offer=None, *, merchant=None, points=None, now=None, key=None):
    """A held voucher of ``resident`` made through ``issue_voucher``: for ``offer``, or
    for ``points`` at ``merchant`` (微消费)."""
    from merchants import services
    from points.residents.acting import acting_as_self
    from points.timeutil import utcnow

    what = ({"offer_id": offer.id} if offer is not None
            else {"merchant_id": merchant.id, "points": str(points)})
    return services.issue_voucher(session, acting=acting_as_self(resident), idempotency_key=key,
                                  now=now or utcnow(), **what).voucher
