"""What each role's home page shows (read-only queries)."""
from sqlalchemy import func, select

from points.auth import roles
from points.auth.models import User
from points.communities.models import Grid
from points.households.models import Household
from points.inspections.services import household_standing
from points import wallets
from merchants.models import Merchant


def resident_summary(session, user):
    return {"balance": wallets.wallet_balance(session, user), "household": user.household,
            "household_standing": household_standing(session, user.household)}


def merchant_summary(session, user):
    return {"merchant": session.get(Merchant, user.merchant_id)}


def staff_summary(session, user):
    """Counts of the community; a grid worker's counts cover their own grids only."""
    households = select(func.count()).select_from(Household)
    residents = (select(func.count()).select_from(User).join(Household, User.household_id == Household.id)
                 .where(User.role == roles.RESIDENT))
    grids = select(func.count()).select_from(Grid)
    if user.role == roles.GRID_WORKER:
        own = [grid.id for grid in user.grids]
        households = households.where(Household.grid_id.in_(own))
        residents = residents.where(Household.grid_id.in_(own))
        grids = grids.where(Grid.id.in_(own))
    return {
        "residents": session.scalar(residents),
        "households": session.scalar(households),
        "grids": session.scalar(grids),
        "merchants": session.scalar(select(func.count()).select_from(Merchant)),
    }
