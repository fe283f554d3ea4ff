"""Pages of activities: staff create, edit, publish and cancel them under
``/staff/activities``; residents and shop staff browse, sign up and withdraw under
``/activities`` (a 亲情代理 proxy in the name of the resident they act for)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ledger.amounts import format_amount
from ledger.errors import N_
from points.activities import rules, services
from points.activities.errors import ActivityError
from points.activities.forms import ActivityForm, CancelForm, SignUpForm
from points.activities.models import (CANCELLED, CONFIRMED, DRAFT, PUBLISHED, SIGNED_UP,
                                      WAITLISTED)
from points.earning.models import PER_HOUR
from points.errors import translated
from points.extensions import db
from points.residents.acting import acting_for
from points.residents.forms import ButtonForm
from points.residents.switching import current_acting
from points.residents.views import in_community, page_number
from points.timeutil import local, utcnow
from points.web.access import require_role

bp = Blueprint("activities", __name__)

STAFF = "/staff/activities"
organisers = require_role(*rules.ORGANISER_ROLES)
volunteers = require_role(*rules.VOLUNTEER_ROLES)

WEEKDAYS = (N_("周一"), N_("周二"), N_("周三"), N_("周四"), N_("周五"), N_("周六"), N_("周日"))
STATUS_LABELS = {DRAFT: N_("草稿"), PUBLISHED: N_("已发布"), CANCELLED: N_("已取消"),
                 CONFIRMED: N_("已确认出勤")}


# --- words on the pages -------------------------------------------------------------------

def day_text(moment):
    moment = local(moment)
    return _("%(month)s月%(day)s日 %(weekday)s", month=moment.month, day=moment.day,
             weekday=_(WEEKDAYS[moment.weekday()]))


def span(starts_at, ends_at):
    """12月6日 周六 09:00–11:00 (local; the end's day too when it differs)."""
    start, end = local(starts_at), local(ends_at)
    if start.date() == end.date():
        return f"{day_text(start)} {start:%H:%M}–{end:%H:%M}"
    return f"{day_text(start)} {start:%H:%M} – {day_text(end)} {end:%H:%M}"


def time_span(activity):
    return span(activity.starts_at, activity.ends_at)


def checkin_span(activity):
    return span(activity.checkin_opens_at, activity.checkin_closes_at)


def points_text(activity):
    points = format_amount(activity.points)
    if activity.activity_type.unit == PER_HOUR:
        hours = format(activity.hours.normalize(), "f") if activity.hours else ""
        return _("每小时 %(points)s 分，记 %(hours)s 小时", points=points, hours=hours)
    return _("每次 %(points)s 分", points=points)


def status_label(activity):
    return _(STATUS_LABELS[activity.status])


@bp.context_processor
def page_helpers():
    return {"time_span": time_span, "checkin_span": checkin_span, "points_text": points_text,
            "status_label": status_label, "SIGNED_UP": SIGNED_UP, "WAITLISTED": WAITLISTED,
            "DRAFT": DRAFT, "PUBLISHED": PUBLISHED, "CANCELLED": CANCELLED}


# --- staff ------------------------------------------------------------------------------

def activity_form(community, **kwargs):
    types = services.types_for(db.session, community.id)
    grids = services.grids_in_reach(db.session, actor=current_user, community_id=community.id)
    return ActivityForm(types, grids, community_wide=rules.is_office(current_user), **kwargs)


@bp.get(STAFF)
@organisers
@in_community
def index(community):
    found = services.list_activities(db.session, actor=current_user, community_id=community.id,
                                     now=utcnow(), when=request.args.get("when"),
                                     page=page_number())
    return render_template("staff/activities_index.html", page=found, community=community)


def saved(community, form, activity_id=None):
    """Save the posted activity; on a refusal the form is shown again with what was typed."""
    try:
        if activity_id is None:
            activity = services.create_activity(db.session, actor=current_user,
                                                community_id=community.id, values=form.values(),
                                                now=utcnow())
        else:
            activity = services.update_activity(db.session, actor=current_user,
                                                community_id=community.id,
                                                activity_id=activity_id, values=form.values(),
                                                now=utcnow())
    except ActivityError as error:
        flash(translated(error), "error")
        return None
    flash(_("已保存“%(title)s”。检查无误后请点“发布”，居民才能看到并报名。", title=activity.title),
          "success")
    return redirect(url_for("activities.detail", activity_id=activity.id))


@bp.route(f"{STAFF}/new", methods=["GET", "POST"])
@organisers
@in_community
def new(community):
    form = activity_form(community)
    if form.validate_on_submit() and (done := saved(community, form)):
        return done
    return render_template("staff/activities_form.html", form=form, community=community,
                           activity=None)


@bp.route(f"{STAFF}/<int:activity_id>/edit", methods=["GET", "POST"])
@organisers
@in_community
def edit(community, activity_id):
    activity = services.activity_in_reach(db.session, actor=current_user,
                                          community_id=community.id, activity_id=activity_id)
    form = activity_form(community)
    if not form.is_submitted():
        form.fill_from(activity)
    elif form.validate() and (done := saved(community, form, activity_id)):
        return done
    return render_template("staff/activities_form.html", form=form, community=community,
                           activity=activity)


@bp.get(f"{STAFF}/<int:activity_id>")
@organisers
@in_community
def detail(community, activity_id):
    found = services.staff_detail(db.session, actor=current_user, community_id=community.id,
                                  activity_id=activity_id)
    return render_template("staff/activities_detail.html", detail=found, community=community,
                           button=ButtonForm(), cancel_form=CancelForm())


@bp.post(f"{STAFF}/<int:activity_id>/publish")
@organisers
@in_community
def publish(community, activity_id):
    if ButtonForm().validate_on_submit():
        activity = services.publish_activity(db.session, actor=current_user,
                                             community_id=community.id, activity_id=activity_id,
                                             now=utcnow())
        flash(_("已发布“%(title)s”，居民现在可以报名了", title=activity.title), "success")
    return redirect(url_for("activities.detail", activity_id=activity_id))


@bp.post(f"{STAFF}/<int:activity_id>/cancel")
@organisers
@in_community
def cancel(community, activity_id):
    form = CancelForm()
    if form.validate_on_submit():
        activity = services.cancel_activity(db.session, actor=current_user,
                                            community_id=community.id, activity_id=activity_id,
                                            reason=form.reason.data or "", now=utcnow())
        flash(_("已取消“%(title)s”，已通知报名和候补的人", title=activity.title), "success")
    else:
        flash(_("取消原因最多 %(limit)s 个字", limit=rules.REASON_LIMIT), "error")
    return redirect(url_for("activities.detail", activity_id=activity_id))


# --- residents and shop staff ---------------------------------------------------------------

@bp.get("/activities")
@volunteers
def browse():
    acting = current_acting(db.session, current_user)
    rows, has_next = services.browse_activities(
        db.session, person=acting.resident, community_id=current_user.community_id, now=utcnow(),
        page=page_number())
    return render_template("resident/activities_browse.html", rows=rows, acting=acting,
                           page=page_number(), has_next=has_next)


@bp.get("/activities/<int:activity_id>")
@volunteers
def show(activity_id):
    acting = current_acting(db.session, current_user)
    row = services.volunteer_view(db.session, person=acting.resident,
                                  community_id=current_user.community_id, activity_id=activity_id)
    return render_template("resident/activities_detail.html", row=row, acting=acting,
                           form=SignUpForm(), started=rules.has_started(row.activity, utcnow()))


@bp.post("/activities/<int:activity_id>/signup")
@volunteers
def sign_up(activity_id):
    form = SignUpForm()
    if form.validate_on_submit():
        acting = acting_for(db.session, current_user, form.resident_id())
        result = services.sign_up(db.session, acting=acting,
                                  community_id=current_user.community_id,
                                  activity_id=activity_id, now=utcnow())
        if result.position is None:
            flash(_("报名成功！请按时到场签到。"), "success")
        else:
            flash(_("名额已满，已为您排上候补第 %(position)s 位。有人取消时会自动转正并通知您。",
                    position=result.position), "success")
    return redirect(url_for("activities.show", activity_id=activity_id))


@bp.post("/activities/<int:activity_id>/withdraw")
@volunteers
def withdraw(activity_id):
    form = SignUpForm()
    if form.validate_on_submit():
        acting = acting_for(db.session, current_user, form.resident_id())
        services.cancel_signup(db.session, acting=acting, community_id=current_user.community_id,
                               activity_id=activity_id, now=utcnow())
        flash(_("已取消报名"), "success")
    return redirect(url_for("activities.show", activity_id=activity_id))
