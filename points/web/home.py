"""What each role's home page shows (read-only queries)."""
from sqlalchemy import func, select

from points.auth import roles
from points.auth.models import User
from points.communities.models import Grid
from points.households.models import Household
from points import wallets
from merchants.models import Merchant


def resident_summary(session, user):
    return {"balance": wallets.wallet_balance(session, user), "household": user.household}


def merchant_summary(session, user):
    return {"merchant": session.get(Merchant, user.merchant_id)}


def staff_summary(session, user):
    residents = select(func.count()).select_from(User).where(User.role == roles.RESIDENT)
    return {
        "residents": session.scalar(residents),
        "households": session.scalar(select(func.count()).select_from(Household)),
        "grids": session.scalar(select(func.count()).select_from(Grid)),
        "merchants": session.scalar(select(func.count()).select_from(Merchant)),
    }
