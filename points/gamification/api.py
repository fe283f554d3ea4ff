"""A person's level, badges and streak in JSON; office staff reverse a credit."""
from flask import g
from flask_babel import gettext

from points.api import Blueprint, token_required
from points.api.idempotency import idempotent
from points.auth import roles
from points.earning import services as earning
from points.extensions import db
from points.gamification import services
from points.gamification.schemas import CreditStateOut, ProgressOut, ReverseIn
from points.timeutil import utcnow

blp = Blueprint("api_progress", __name__, url_prefix="/api/v1",
                description="Levels, badges and streaks; taking a credit back")

SECURITY = [{"bearer": []}]


def level_body(level):
    following = None
    if level.next_threshold is not None:
        following = {"number": level.number + 1, "name": gettext(level.next_name),
                     "threshold": level.next_threshold, "points_to_go": level.to_next}
    return {"number": level.number, "name": gettext(level.name), "threshold": level.threshold,
            "points": level.points, "percent": level.percent, "next": following}


def badge_body(badge):
    return {"code": badge.code, "name": gettext(badge.name),
            "description": gettext(badge.description), "icon": badge.icon}


def earned_body(outcome, award, credits):
    credit = credits.get(award.credit_id)
    earned_by = {"credit": None if credit is None else {
        "id": credit.id, "work_day": credit.work_day, "type": credit.activity_type.name,
        "points": credit.points}, "month": award.month}
    return {**badge_body(outcome.badge), "awarded_at": award.awarded_at, "earned_by": earned_by}


def locked_body(outcome):
    return {**badge_body(outcome.badge), "value": outcome.value, "target": outcome.badge.target,
            "percent": outcome.percent}


@blp.get("/me/progress")
@token_required(*roles.WALLET_ROLES)
@blp.response(200, ProgressOut)
@blp.doc(security=SECURITY)
def my_progress():
    """The signed-in person's level (with the next one), streak of months and badges.

    ``badges.earned``: each badge that stands, when it was earned and what earned it (the
    credit that crossed the line, or the month that completed a run). ``badges.locked``:
    the rest, with how far the person is (``value`` of ``target``). Names follow
    Accept-Language.
    """
    progress = services.progress_of(db.session, g.user, utcnow())
    credits = services.award_credits(db.session, progress.awards.values())
    earned = [earned_body(outcome, progress.awards[outcome.badge.code], credits)
              for outcome in progress.newest]
    locked = [locked_body(outcome) for outcome in progress.outcomes
              if outcome.badge.code not in progress.awards]
    return {"level": level_body(progress.level),
            "streak": {"current": progress.current_streak, "best": progress.best_streak},
            "badges": {"earned": earned, "locked": locked}}


@blp.post("/credits/<int:credit_id>/reverse")
@token_required(*roles.OFFICE_ROLES)
@idempotent
@blp.arguments(ReverseIn)
@blp.response(200, CreditStateOut)
@blp.doc(security=SECURITY)
def reverse_credit(data, credit_id):
    """Take a credit back (office staff of its community): the points leave the person's
    wallet, their level, badges and streak are recomputed, they are told, and the audit log
    keeps who and why.

    403: not office staff; 404: no such credit in the community; 409: already reversed;
    422: no reason, or the points were already spent (``insufficient_points``).
    """
    return earning.reverse_credit(db.session, actor=g.user, credit_id=credit_id,
                                  reason=data["reason"], now=utcnow())
