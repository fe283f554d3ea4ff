"""A community for the progress tests (levels, badges, streaks, reversals): a household
of two in 红星网格, a neighbour, the office, a grid worker, another community's office;
and helpers that credit work through ``credit_work`` and count what moved."""
import itertools
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import func, select

from ledger.models import Transfer
from points import wallets
from points.audit.models import AuditEvent
from points.earning import services as earning
from points.extensions import unit_of_work
from points.gamification.models import BadgeAward
from points.notifications.models import Notification
from tests import factories

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 on 2026-11-20 in Chengdu
TODAY = date(2026, 11, 20)
_sources = itertools.count(1000)


@dataclass
class Setting:
    community: object
    grid: object
    home: object
    resident: object
    spouse: object
    neighbour: object
    staff: object
    worker: object
    far_staff: object
    cleaning: object  # environment, 10 a participation, no caps
    greening: object


def make_setting(session):
    community = factories.make_community(session, name="北新社区", code="beixin")
    grid = factories.make_grid(session, community, name="红星网格")
    home = factories.make_household(session, community, grid, "3栋2单元401")
    elsewhere = factories.make_community(session, name="城口社区", code="chengkou")
    return Setting(
        community=community, grid=grid, home=home,
        resident=factories.make_resident(session, community, household=home, name="王秀英"),
        spouse=factories.make_resident(session, community, household=home, name="李建华"),
        neighbour=factories.make_resident(session, community, name="赵大爷"),
        staff=factories.make_user(session, community, "staff", name="陈主任"),
        worker=factories.make_user(session, community, "grid_worker", name="刘网格", grids=[grid]),
        far_staff=factories.make_user(session, elsewhere, "admin", name="周书记"),
        cleaning=factories.make_activity_type(session, community, name="环境卫生",
                                              unit="participation", points="10"),
        greening=factories.make_activity_type(session, community, name="绿化美化",
                                              category="greening", unit="participation",
                                              points="10"),
    )


def credit(session, user, points="10", *, day=TODAY, activity_type, hours=None, now=NOW):
    """Credit ``points`` for work of ``day`` through ``credit_work``; the credit made."""
    with unit_of_work(session):
        earned = earning.credit_work(session, user=user, activity_type=activity_type,
                                     source="test", source_id=next(_sources), work_day=day,
                                     points=Decimal(points),
                                     hours=Decimal(hours) if hours is not None else None,
                                     now=now)
    return earned.credit


def reverse(session, actor, credit_id, reason="审核时看错了，这次活动没有参加", now=NOW):
    return earning.reverse_credit(session, actor=actor, credit_id=credit_id, reason=reason,
                                  now=now)


def balance(session, user):
    return wallets.wallet_balance(session, user).balance


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def awards(session, user):
    """``{badge: award}`` of the person, revoked ones too (fresh from the database)."""
    stmt = (select(BadgeAward).where(BadgeAward.user_id == user.id)
            .execution_options(populate_existing=True))
    return {award.badge: award for award in session.scalars(stmt)}


def standing_awards(session, user):
    return sorted(code for code, award in awards(session, user).items() if award.revoked_at is None)


def badge_notices(session, user):
    return count(session, Notification, Notification.user_id == user.id,
                 Notification.kind == "badge")


def snapshot(session):
    """Counts of what a refused act must leave alone."""
    return (count(session, Transfer), count(session, Notification), count(session, AuditEvent),
            count(session, BadgeAward), count(session, BadgeAward, BadgeAward.revoked_at.is_not(None)))
