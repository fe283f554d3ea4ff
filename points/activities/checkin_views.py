"""Pages of member cards, check-in and attendance.

- 我的会员码 (``/me/card``): the person's (or, for a 亲情代理 proxy, the resident's) member
  QR and code, and a printable card; staff print and reissue a resident's card.
- The check-in desk (``/staff/activities/<id>/checkin``): staff scan or type member codes.
- The screen (``/staff/activities/<id>/screen``): the rotating QR residents scan; opening
  it (``/activities/<id>/checkin?t=…``) checks the signed-in resident in.
- Attendance (``/staff/activities/<id>/attendance``): tick, correct hours, confirm once.
"""
import io
from datetime import datetime

from flask import (Blueprint, flash, g, redirect, render_template, request, send_file,
                   session as http_session, url_for)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from points.activities import attendance as attendance_services
from points.activities import checkin, checkin_rules, qr
from points.activities import rules as activity_rules
from points.activities.checkin_errors import CheckinError
from points.activities.models import CONFIRMED, PUBLISHED
from points.auth import roles
from points.codes import display
from points.errors import status_for, translated
from points.extensions import db, limiter
from points.residents.forms import ButtonForm
from points.residents.rules import REGISTRAR_ROLES
from points.residents.switching import current_acting
from points.residents.views import in_community
from points.timeutil import local, utcnow
from points.web.access import require_role
from points.web.forms import row_id

bp = Blueprint("checkin", __name__)

STAFF_ACTIVITY = "/staff/activities/<int:activity_id>"
PENDING_SCAN = "rotating_scan"
staff_only = require_role(*roles.STAFF_ROLES)
# Typed member codes are guessable in principle: each staff member gets this many typed
# (or failed) attempts a minute, shared by the desk, the attendance page and the API.
MEMBER_CODE_LIMIT = "20 per minute"
MEMBER_CODE_SCOPE = "member-code"


def user_key():
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def counts_against_limit(response):
    """A typed code counts, and so does any refusal; a good scan does not (a queue of
    people with member QRs is scanned fast). The 429 itself does not count again."""
    if response.status_code == 429:
        return False
    return bool(g.get("typed_code") or g.get("refused") or response.status_code >= 400)


def note_typed(text):
    g.typed_code = not checkin_rules.is_scanned(text)


member_code_limit = limiter.shared_limit(MEMBER_CODE_LIMIT, scope=MEMBER_CODE_SCOPE,
                                         key_func=user_key, methods=["POST"],
                                         deduct_when=counts_against_limit)


@bp.context_processor
def page_helpers():
    return {"translated": translated, "clock": checkin_rules.clock, "local": local,
            "hours_text": attendance_services.hours_text, "CONFIRMED": CONFIRMED,
            "PUBLISHED": PUBLISHED}


def png(data):
    """A QR image never kept by caches: a reissued card or a new slot must show at once."""
    response = send_file(io.BytesIO(data), mimetype="image/png", max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- member cards ---------------------------------------------------------------------

def my_card():
    acting = current_acting(db.session, current_user)
    return acting, checkin.card_of(db.session, acting.resident, now=utcnow())


@bp.get("/me/card")
@require_role(*roles.WALLET_ROLES)
def card():
    acting, found = my_card()
    return render_template("resident/card.html", acting=acting, card=found,
                           person=acting.resident, code=display(found.code))


@bp.get("/me/card.png")
@require_role(*roles.WALLET_ROLES)
def card_png():
    return png(qr.member_png(my_card()[1].code))


@bp.get("/me/card/print")
@require_role(*roles.WALLET_ROLES)
def card_print():
    acting, found = my_card()
    return render_template("resident/card_print.html", card=found, person=acting.resident,
                           code=display(found.code), image=url_for("checkin.card_png"),
                           back=url_for("checkin.card"))


def resident_card(community, user_id):
    return checkin.resident_card(db.session, actor=current_user, community=community,
                                 user_id=user_id, now=utcnow())


@bp.get("/staff/residents/<int:user_id>/card")
@require_role(*REGISTRAR_ROLES)
@in_community
def staff_card(community, user_id):
    found = resident_card(community, user_id)
    return render_template("resident/card_print.html", card=found, person=found.user,
                           code=display(found.code), button=ButtonForm(),
                           image=url_for("checkin.staff_card_png", user_id=user_id),
                           back=url_for("residents.detail", user_id=user_id))


@bp.get("/staff/residents/<int:user_id>/card.png")
@require_role(*REGISTRAR_ROLES)
@in_community
def staff_card_png(community, user_id):
    return png(qr.member_png(resident_card(community, user_id).code))


@bp.post("/staff/residents/<int:user_id>/card/reissue")
@require_role(*REGISTRAR_ROLES)
@in_community
def reissue(community, user_id):
    checkin.reissue_card(db.session, actor=current_user, community=community, user_id=user_id,
                         now=utcnow())
    flash(_("已换发新会员卡，旧卡从现在起不能再用"), "success")
    return redirect(url_for("checkin.staff_card", user_id=user_id))


# --- the check-in desk ----------------------------------------------------------------

def render_desk(community, activity_id, *, result=None, refusal=None, status=200):
    state = checkin.desk(db.session, actor=current_user, community_id=community.id,
                         activity_id=activity_id)
    now = utcnow()
    return render_template("staff/checkin_desk.html", desk=state, result=result,
                           refusal=refusal,
                           open=checkin_rules.is_window_open(state.activity, now)), status


@bp.route(f"{STAFF_ACTIVITY}/checkin", methods=["GET", "POST"])
@staff_only
@in_community
@member_code_limit
def desk(community, activity_id):
    if request.method == "GET":
        return render_desk(community, activity_id)
    text = request.form.get("code", "")
    note_typed(text)
    try:
        result = checkin.check_in_member(db.session, actor=current_user,
                                         community_id=community.id, activity_id=activity_id,
                                         scanned=text, now=utcnow())
    except CheckinError as error:
        return render_desk(community, activity_id, refusal=error, status=status_for(error))
    return render_desk(community, activity_id, result=result)


# --- the rotating QR ------------------------------------------------------------------

@bp.get(f"{STAFF_ACTIVITY}/screen")
@staff_only
@in_community
def screen(community, activity_id):
    now = utcnow()
    activity, _token = checkin.screen_token(db.session, actor=current_user,
                                            community_id=community.id,
                                            activity_id=activity_id, now=now)
    return render_template("staff/checkin_screen.html", activity=activity,
                           open=checkin_rules.is_window_open(activity, now),
                           seconds_left=checkin_rules.seconds_left(now),
                           slot_seconds=checkin_rules.SLOT_SECONDS)


@bp.get(f"{STAFF_ACTIVITY}/screen.png")
@staff_only
@in_community
def screen_png(community, activity_id):
    activity, token = checkin.screen_token(db.session, actor=current_user,
                                           community_id=community.id,
                                           activity_id=activity_id, now=utcnow())
    url = url_for("checkin.rotating", activity_id=activity.id, t=token, _external=True)
    return png(qr.rotating_png(url))


def pending_seen_at(activity_id, token):
    """When this very code was opened before the person signed in (None: not so)."""
    pending = http_session.pop(PENDING_SCAN, None) or {}
    if pending.get("activity") != activity_id or pending.get("token") != token:
        return None
    return datetime.fromisoformat(pending["at"])


def remember_scan(activity_id, token):
    """Check the code now, before sign-in (a person needs longer than its half minute
    to sign in); the signed session cookie keeps when it was seen."""
    now = utcnow()
    try:
        checkin.verify_scan(db.session, activity_id=activity_id, token=token, now=now)
    except CheckinError as error:
        return render_template("resident/checkin_done.html", refusal=error), status_for(error)
    http_session[PENDING_SCAN] = {"activity": activity_id, "token": token, "at": now.isoformat()}
    return redirect(url_for("web.sign_in", next=request.full_path))


@bp.get("/activities/<int:activity_id>/checkin")
def rotating(activity_id):
    token = request.args.get("t", "")
    if not current_user.is_authenticated:
        return remember_scan(activity_id, token)
    try:
        result = checkin.check_in_rotating(db.session, person=current_user,
                                           activity_id=activity_id, token=token, now=utcnow(),
                                           seen_at=pending_seen_at(activity_id, token))
    except CheckinError as error:
        return render_template("resident/checkin_done.html", refusal=error), status_for(error)
    return render_template("resident/checkin_done.html", result=result)


# --- attendance -----------------------------------------------------------------------

def render_sheet(community, activity_id, confirmation=None):
    sheet = attendance_services.attendance_sheet(db.session, actor=current_user,
                                        community_id=community.id, activity_id=activity_id)
    return render_template("staff/checkin_attendance.html", sheet=sheet,
                           confirmation=confirmation, button=ButtonForm(),
                           started=activity_rules.has_started(sheet.activity, utcnow()))


def attendees_from_form():
    """``present`` user ids, each with its ``hours-<id>`` (empty: the activity's)."""
    return [{"user_id": user_id, "hours": request.form.get(f"hours-{user_id}") or None}
            for user_id in dict.fromkeys(request.form.getlist("present", type=row_id))]


@bp.route(f"{STAFF_ACTIVITY}/attendance", methods=["GET", "POST"])
@staff_only
@in_community
def attendance(community, activity_id):
    if request.method == "GET":
        return render_sheet(community, activity_id)
    confirmation = attendance_services.confirm_attendance(
        db.session, actor=current_user, community_id=community.id, activity_id=activity_id,
        attendees=attendees_from_form(), now=utcnow())
    flash(_("出勤已确认：%(count)s 人共获得 %(points)s 积分", count=len(confirmation.lines),
            points=int(confirmation.total)), "success")
    return render_sheet(community, activity_id, confirmation=confirmation)


@bp.post(f"{STAFF_ACTIVITY}/attendance/add")
@staff_only
@in_community
@member_code_limit
def attendance_add(community, activity_id):
    text = request.form.get("code", "")
    note_typed(text)
    try:
        result = attendance_services.add_attendee(db.session, actor=current_user,
                                         community_id=community.id, activity_id=activity_id,
                                         scanned=text, now=utcnow())
    except CheckinError as error:
        g.refused = True
        flash(translated(error), "error")
        return redirect(url_for("checkin.attendance", activity_id=activity_id))
    flash(_("已加入出勤名单：%(name)s", name=result.person.name), "success")
    return redirect(url_for("checkin.attendance", activity_id=activity_id))
