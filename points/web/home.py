"""What each role's home page shows (read-only queries)."""
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

import ledger
from ledger import expiry
from points.activities.models import PUBLISHED, WITHDRAWN, Activity, SignUp
from points.auth import roles
from points.auth.models import User
from points.communities.models import Grid
from points.gamification.services import progress_of
from points.households.models import Household
from points.inspections.services import household_standing
from points.notifications.models import Notification
from points.notifications.services import unread_count
from points import statements, wallets
from points.timeutil import utcnow
from merchants.models import Merchant

HOME_LINES = 5  # the latest statement lines on the home page
HOME_ACTIVITIES = 3
HOME_NOTIFICATIONS = 3
EXPIRY_WARNING_DAYS = 30


def resident_summary(session, user, *, now=None):
    """What a wallet holder's home page shows of ``user`` (the resident a proxy acts for,
    or the person themselves): balance and held points, level and streak, newest badges,
    points expiring soon, next activities, unread notifications, latest statement lines."""
    now = now or utcnow()
    account = wallets.find_wallet(session, user)
    balance = (ledger.balance_of(session, account) if account is not None
               else ledger.Balance(ledger.POINTS, ledger.ZERO, ledger.ZERO))
    lines, more = statements.account_page(session, account, limit=HOME_LINES)
    return {"balance": balance, "household": user.household,
            "household_standing": household_standing(session, user.household),
            "progress": progress_of(session, user, now),
            "expiring": expiring_points(session, user.community, account, balance.balance, now),
            "activities": next_activities(session, user, now),
            "unread": unread_count(session, user), "unread_latest": latest_unread(session, user),
            "lines": lines, "more_lines": more is not None}


def expiring_points(session, community, account_id, balance, now, days=EXPIRY_WARNING_DAYS):
    """``[(points, last local day)]`` of the account that expire within ``days`` of today,
    as the expiry job would take them (``ledger.expiry``); empty when the community's
    policy is off or nothing is due."""
    if community is None or not community.points_expire or account_id is None or balance <= 0:
        return []
    today = expiry.local_date(now)
    window = [year for year in range(today.year - 1, (today + timedelta(days=days)).year)
              if today <= expiry.deadline_of(year) <= today + timedelta(days=days)]
    if not window:
        return []
    figures = expiry.read_figures(session, community.id, account_id).get(account_id, expiry.Figures())
    done = expiry.read_done_years(session, community.id, account_id).get(account_id, ())
    plan = expiry.expiry_plan(figures, balance=balance, last_year=max(window), done=done)
    return [(amount, expiry.deadline_of(year)) for year, amount in plan if year in window]


def next_activities(session, user, now, limit=HOME_ACTIVITIES):
    """The person's places (signed up or waitlisted) on published activities that have
    not ended, soonest first, with their activity loaded."""
    stmt = (select(SignUp).join(Activity, Activity.id == SignUp.activity_id)
            .options(contains_eager(SignUp.activity))
            .where(SignUp.user_id == user.id, SignUp.status != WITHDRAWN,
                   Activity.status == PUBLISHED, Activity.ends_at > now)
            .order_by(Activity.starts_at, Activity.id).limit(limit))
    return list(session.scalars(stmt))


def latest_unread(session, user, limit=HOME_NOTIFICATIONS):
    return list(session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .order_by(Notification.id.desc()).limit(limit)))


def merchant_summary(session, user):
    return {"merchant": session.get(Merchant, user.merchant_id)}


def staff_summary(session, user):
    """Counts of the community; a grid worker's counts cover their own grids only."""
    households = select(func.count()).select_from(Household)
    # Residents living in a household (the foreign key: the household exists).
    residents = (select(func.count()).select_from(User)
                 .where(User.role == roles.RESIDENT, User.household_id.is_not(None)))
    grids = select(func.count()).select_from(Grid)
    if user.role == roles.GRID_WORKER:
        own = [grid.id for grid in user.grids]
        households = households.where(Household.grid_id.in_(own))
        residents = residents.join(Household, User.household_id == Household.id).where(
            Household.grid_id.in_(own))
        grids = grids.where(Grid.id.in_(own))
    return {
        "residents": session.scalar(residents),
        "households": session.scalar(households),
        "grids": session.scalar(grids),
        "merchants": session.scalar(select(func.count()).select_from(Merchant)),
    }
