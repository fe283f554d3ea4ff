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


def give_points(session, user, points, key=None):
    with unit_of_work(session):
        account = wallets.wallet_id(session, user)
        wallets.credit_points(session, account=account, community_id=user.community_id,
                              amount=Decimal(points), key=key or f"test-grant-{next(_numbers)}",
                              kind="grant", reason="测试发放")
    return account


def sign_in(client, user, password=PASSWORD):
    return client.post("/sign-in", data={"phone": user.phone, "password": password})


def bearer(client, user, password=PASSWORD):
    response = client.post("/api/v1/auth/token", json={"phone": user.phone, "password": password})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}
