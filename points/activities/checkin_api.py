"""JSON API of check-in and attendance under /api/v1.

- ``POST /events/{id}/checkins``: staff send ``{"code"}`` (a member code, typed or the
  scanned ``JFM:`` text); a resident sends ``{"token"}`` (the rotating QR's ``t``).
  201 with the check-in; 409 already checked in; 422 outside the window, an old token or
  a wrong check character; 404 an unknown activity or member code.
- ``GET /events/{id}/checkins`` (staff): everyone checked in.
- ``POST /events/{id}/attendance`` (staff): confirm once; 200 with each credit.
- ``GET /me/card``: the signed-in person's member code.
"""
from flask import g
from flask_limiter.util import get_remote_address

from points.activities import attendance, checkin, checkin_rules
from points.activities.checkin_schemas import (
    AttendanceIn, AttendanceOut, CheckInIn, CheckInListOut, CheckInOut, MemberCardOut,
    checkin_row,
)
from points.activities.checkin_views import (
    MEMBER_CODE_LIMIT, MEMBER_CODE_SCOPE, counts_against_limit,
)
from points.api import Blueprint, bearer_token, token_required
from points.api.idempotency import idempotent
from points.api.schemas import ErrorOut
from points.auth import roles
from points.auth.errors import TokenInvalidError
from points.errors import ForbiddenError
from points.extensions import db, limiter
from points.timeutil import utcnow

blp = Blueprint("api_checkin", __name__, url_prefix="/api/v1", description="check-in")
SECURITY = [{"bearer": []}]


def token_user_key():
    """The staff member behind the bearer token, so the desk page, the attendance page
    and the API share one count of typed member codes per person."""
    from points.auth.services import user_for_token

    raw = bearer_token()
    if raw:
        try:
            return f"user:{user_for_token(db.session, raw, utcnow()).id}"
        except TokenInvalidError:
            pass
    return get_remote_address()


member_code_limit = limiter.shared_limit(MEMBER_CODE_LIMIT, scope=MEMBER_CODE_SCOPE,
                                         key_func=token_user_key, methods=["POST"],
                                         deduct_when=counts_against_limit)


def check_in(data, activity_id, now):
    """The staff member's code check-in, or the resident's own rotating check-in."""
    if "code" in data:
        if g.user.role not in roles.STAFF_ROLES:
            raise ForbiddenError()
        g.typed_code = not checkin_rules.is_scanned(data["code"])
        return checkin.check_in_member(db.session, actor=g.user, community_id=g.user.community_id,
                                       activity_id=activity_id, scanned=data["code"], now=now)
    return checkin.check_in_rotating(db.session, person=g.user, activity_id=activity_id,
                                     token=data["token"], now=now)


@blp.post("/events/<int:activity_id>/checkins")
@member_code_limit
@token_required()
@idempotent
@blp.arguments(CheckInIn)
@blp.response(201, CheckInOut)
@blp.alt_response(409, schema=ErrorOut, description="Already checked in")
@blp.alt_response(404, schema=ErrorOut, description="Unknown activity or member code")
@blp.doc(security=SECURITY)
def create_checkin(data, activity_id):
    """Check someone in: staff by member code, a resident by the rotating QR's token.

    Refused with 422 outside the check-in window, for a token older than its 30-second
    slot (plus 5 seconds' grace) or of another activity, and for a member code with a
    wrong check character (before any lookup). Typed codes are rate-limited per staff
    member (429).
    """
    result = check_in(data, activity_id, utcnow())
    return checkin_row(result.checkin, result.person, result.walk_in)


@blp.get("/events/<int:activity_id>/checkins")
@token_required(*roles.STAFF_ROLES)
@blp.response(200, CheckInListOut)
@blp.doc(security=SECURITY)
def list_checkins(activity_id):
    """Everyone checked in at the activity, latest first."""
    desk = checkin.desk(db.session, actor=g.user, community_id=g.user.community_id,
                        activity_id=activity_id)
    return {"checkins": [checkin_row(item, item.user, item.user_id not in desk.signed_up_ids)
                         for item in desk.checkins]}


@blp.post("/events/<int:activity_id>/attendance")
@token_required(*roles.STAFF_ROLES)
@idempotent
@blp.arguments(AttendanceIn)
@blp.response(200, AttendanceOut)
@blp.alt_response(409, schema=ErrorOut, description="Attendance was already confirmed")
@blp.doc(security=SECURITY)
def confirm_attendance(data, activity_id):
    """Confirm attendance once: each attendee (checked in or signed up) is credited by
    the activity's rule, cut to the type's caps (``cut_by_cap``). A second confirmation
    is 409 and credits nothing more. ``hours`` only under a per-hour type."""
    return attendance.confirm_attendance(db.session, actor=g.user,
                                         community_id=g.user.community_id,
                                         activity_id=activity_id,
                                         attendees=data["attendees"], now=utcnow())


@blp.get("/me/card")
@token_required(*roles.WALLET_ROLES)
@blp.response(200, MemberCardOut)
@blp.doc(security=SECURITY)
def my_card():
    """The signed-in person's member code (issued on first need), for their own QR."""
    return checkin.card_of(db.session, g.user, now=utcnow())
