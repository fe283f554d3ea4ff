"""Pages of 群众点单 → 组织建单 → 志愿者接单.

Residents (and their 亲情代理) post a need at ``/requests/new`` (我要点单) and follow it
at ``/requests`` (我的点单) and ``/requests/<id>`` (the progress timeline, messages,
confirm and rate, or dispute). Volunteers (anyone with a wallet) find tasks at
``/tasks`` (接单大厅, their grid first) and work on one at ``/tasks/<id>``. Staff review
at ``/staff/requests`` (waiting first, against the promise), take phone calls at
``/staff/requests/new``, follow tasks at ``/staff/tasks`` (disputes and overdue ones
flagged) and read the figures at ``/staff/tasks/figures``. Photos are served to those who
may see the request only, never cached by shared caches.
"""
from datetime import timedelta
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

import ledger
from ledger.errors import N_, DomainError
from points.auth import roles
from points.claims import photos
from points.claims.views import private_photo
from points.errors import NotFoundError, translated
from points.extensions import db
from points.residents.acting import acting_for, posted_resident_id
from points.residents.forms import ButtonForm
from points.residents.switching import current_acting
from points.residents.views import in_community
from points.tasks import closing, rules, services, staff
from points.tasks.errors import RequestNotFoundError, TaskNotFoundError
from points.tasks.forms import (ConfirmForm, DecideForm, DisputeForm, MergeForm, MessageForm,
                                PhoneRequestForm, PublishForm, ReasonForm, ReassignForm,
                                RequestForm, RouteForm)
from points.timeutil import local, start_of_local_date, utcnow
from points.web.access import require_role
from points.web.forms import row_id

bp = Blueprint("tasks", __name__)

FIGURE_DAYS = 30
wallet_holders = require_role(*roles.WALLET_ROLES)
staff_only = require_role(*roles.STAFF_ROLES)


@bp.context_processor
def task_helpers():
    return {"amount": ledger.format_amount, "local": local, "translated": translated,
            "category_label": lambda key: _(rules.CATEGORY_LABELS[key]),
            "stage_label": lambda key: _(rules.STAGE_LABELS[key]),
            "event_label": lambda kind: _(rules.EVENT_LABELS[kind]),
            "place_label": lambda status: _(rules.ASSIGNMENT_LABELS[status]),
            "stage": rules.stage, "duration": duration_text, "when": when,
            "promise_hours": lambda req: rules.promise_minutes(req.urgent) // 60}


def when(moment):
    return local(moment).strftime("%m-%d %H:%M") if moment else ""


def duration_text(minutes):
    """``2 天 3 小时``, ``1 小时 20 分钟``, ``5 分钟``: plain words for a duration."""
    if minutes is None:
        return "—"
    days, hours, mins = rules.duration_text_parts(minutes)
    if days and hours:
        return _("%(days)s 天 %(hours)s 小时", days=days, hours=hours)
    if days:
        return _("%(days)s 天", days=days)
    if hours and mins:
        return _("%(hours)s 小时 %(minutes)s 分钟", hours=hours, minutes=mins)
    if hours:
        return _("%(hours)s 小时", hours=hours)
    return _("%(minutes)s 分钟", minutes=mins)


def upload_dir(app):
    """Where request photos live: private, under the instance folder (never static/)."""
    return Path(app.config["INSTANCE_PATH"]) / "uploads" / "requests"


def uploads(files):
    """The bytes of each chosen file; one over the limit is read a byte past it."""
    return [part.read(photos.MAX_BYTES + 1) for part in files if part and part.filename]


def refused(error):
    """Refusals shown on the page as a message; something out of reach stays a 404."""
    if isinstance(error, (RequestNotFoundError, TaskNotFoundError, NotFoundError)):
        raise error
    flash(translated(error), "error")


def attempt(action, back, done_message=None):
    """Run ``action()``; flash ``done_message`` or the refusal, and go to ``back``."""
    if not ButtonForm().validate_on_submit():
        flash(_("页面已过期，请重新操作"), "error")
        return redirect(back)
    try:
        action()
    except DomainError as error:
        refused(error)
    else:
        if done_message:
            flash(done_message, "success")
    return redirect(back)


# Residents: 我要点单, 我的点单


@bp.route("/requests/new", methods=["GET", "POST"])
@wallet_holders
def new_request():
    acting = current_acting(db.session, current_user)
    form = RequestForm()
    if form.validate_on_submit():
        acting = acting_for(db.session, current_user, posted_resident_id(request.form.get("acting_for")))
        try:
            filed = services.file_request(
                db.session, acting=acting, category=form.category.data or "",
                description=form.description.data, place=form.place.data,
                preferred_time=form.preferred_time.data, urgent=form.urgent.data,
                photos=uploads(form.photos.data or []), upload_dir=upload_dir(current_app),
                now=utcnow())
        except DomainError as error:
            refused(error)
        else:
            flash(_("点单已提交，社区会在 %(hours)s 小时内处理",
                    hours=rules.promise_minutes(filed.urgent) // 60), "success")
            return redirect(url_for("tasks.request_detail", request_id=filed.id))
    elif not form.is_submitted() and acting.resident.household is not None:
        form.place.data = acting.resident.household.address
    form.acting_for.data = acting.resident.id
    return render_template("tasks/request_new.html", form=form, acting=acting)


@bp.get("/requests")
@wallet_holders
def my_requests():
    acting = current_acting(db.session, current_user)
    found = services.requests_of(db.session, acting.resident,
                                 before=request.args.get("before", type=row_id))
    more = found[-1].id if len(found) == services.PAGE_SIZE else None
    return render_template("tasks/requests.html", acting=acting, requests=found, more=more)


@bp.get("/requests/<int:request_id>")
@wallet_holders
def request_detail(request_id):
    acting = current_acting(db.session, current_user)
    found = services.own_request(db.session, acting.resident, request_id)
    forms = {name: form(acting_for=acting.resident.id) for name, form in (
        ("message", MessageForm), ("confirm", ConfirmForm), ("dispute", DisputeForm))}
    return render_template("tasks/request_detail.html", acting=acting, req=found, task=found.task,
                           **forms)


@bp.get("/requests/<int:request_id>/photos/<int:position>")
@require_role()
def request_photo(request_id, position):
    photo = services.photo_for(db.session, viewer=current_user, request_id=request_id,
                               position=position)
    return photo_response(photo)


def photo_response(photo):
    return private_photo(upload_dir(current_app), photo.storage_key, RequestNotFoundError)


@bp.post("/requests/<int:request_id>/confirm")
@wallet_holders
def confirm(request_id):
    back = url_for("tasks.request_detail", request_id=request_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("请检查评价和想说的话"), "error")
        return redirect(back)
    acting = acting_for(db.session, current_user, posted_resident_id(request.form.get("acting_for")))
    try:
        closing.confirm_request(db.session, acting=acting, request_id=request_id,
                                 rating=form.rating.data, comment=form.comment.data, now=utcnow())
    except DomainError as error:
        refused(error)
    else:
        flash(_("已确认办好，谢谢您的评价！志愿者的积分已经记上"), "success")
    return redirect(back)


@bp.post("/requests/<int:request_id>/dispute")
@wallet_holders
def dispute(request_id):
    back = url_for("tasks.request_detail", request_id=request_id)
    form = DisputeForm()
    if not form.validate_on_submit():
        flash(_("原因最多 %(limit)s 个字", limit=rules.REASON_LIMIT), "error")
        return redirect(back)
    acting = acting_for(db.session, current_user, posted_resident_id(request.form.get("acting_for")))
    try:
        closing.dispute_request(db.session, acting=acting, request_id=request_id,
                                 reason=form.reason.data, now=utcnow())
    except DomainError as error:
        refused(error)
    else:
        flash(_("已告诉社区，工作人员会核实后处理"), "success")
    return redirect(back)


# Volunteers: 接单大厅


@bp.get("/tasks")
@wallet_holders
def hall():
    return render_template("tasks/hall.html",
                           open_tasks=services.open_tasks(db.session, volunteer=current_user),
                           mine=services.tasks_of(db.session, current_user),
                           home_grid=services.home_grid(current_user), now=utcnow())


@bp.get("/tasks/<int:task_id>")
@require_role()
def task_detail(task_id):
    view = services.task_view(db.session, viewer=current_user, task_id=task_id, now=utcnow())
    if view.staff and not view.may_message and current_user.role in roles.STAFF_ROLES:
        return redirect(url_for("tasks.staff_task", task_id=task_id))
    return render_template("tasks/task_detail.html", view=view, task=view.task,
                           button=ButtonForm(), message=MessageForm())


STEPS = {"claim": (services.claim_task, N_("接单成功！请按时去帮忙，有事可以在下面留言")),
         "release": (services.release_task, N_("已取消接单")),
         "start": (services.start_task, N_("已告诉点单人：您开始办理了")),
         "done": (services.finish_task, N_("已告诉点单人：办好了，等对方确认后记积分"))}


@bp.post("/tasks/<int:task_id>/<any(claim, release, start, done):step>")
@wallet_holders
def step(task_id, step):
    action, message = STEPS[step]
    return attempt(lambda: action(db.session, volunteer=current_user, task_id=task_id,
                                  now=utcnow()),
                   url_for("tasks.task_detail", task_id=task_id), _(message))


@bp.post("/tasks/<int:task_id>/messages")
@require_role()
def message(task_id):
    form = MessageForm()
    from_request = request.form.get("from") == "request"
    request_id = request.form.get("request_id", type=row_id) if from_request else None
    if request_id is not None:
        back = url_for("tasks.request_detail", request_id=request_id)
    else:
        back = url_for("tasks.task_detail", task_id=task_id)
    if not form.validate_on_submit():
        flash(_("留言最多 %(limit)s 个字，不能空着", limit=rules.MESSAGE_LIMIT), "error")
        return redirect(back)
    try:
        services.post_message(db.session, author=current_user, task_id=task_id,
                              body=form.body.data, now=utcnow())
    except DomainError as error:
        refused(error)
    return redirect(back)


# Staff: the queue and one request


@bp.get("/staff/requests")
@staff_only
@in_community
def queue(community):
    rows = staff.review_queue(db.session, actor=current_user, community=community, now=utcnow())
    return render_template("tasks/staff_queue.html", rows=rows, community=community)


@bp.route("/staff/requests/new", methods=["GET", "POST"])
@staff_only
@in_community
def phone_request(community):
    form = PhoneRequestForm()
    if form.validate_on_submit():
        try:
            filed = staff.file_for_resident(
                db.session, actor=current_user, community=community, phone=form.phone.data,
                category=form.category.data or "", description=form.description.data,
                place=form.place.data, preferred_time=form.preferred_time.data,
                urgent=form.urgent.data, photos=uploads(form.photos.data or []),
                upload_dir=upload_dir(current_app), now=utcnow())
        except DomainError as error:
            refused(error)
        else:
            flash(_("已替 %(name)s 点单", name=filed.requester.name), "success")
            return redirect(url_for("tasks.staff_request", request_id=filed.id))
    return render_template("tasks/staff_phone.html", form=form, community=community)


@bp.get("/staff/requests/<int:request_id>")
@staff_only
@in_community
def staff_request(community, request_id):
    now = utcnow()
    found = staff.review(db.session, actor=current_user, community=community,
                         request_id=request_id, now=now)
    publish_form = PublishForm(found.types)
    publish_form.fill(found.request, found.types, now)
    merge_form, route_form = MergeForm(), RouteForm()
    merge_form.into_id.choices = [SelectChoice("", _("请选择"))] + [
        SelectChoice(str(kept.id), f"#{kept.id} {_(rules.CATEGORY_LABELS[kept.category])} · "
                                   f"{kept.place} · {kept.description[:20]}")
        for kept in found.candidates]
    route_form.grid_id.choices = [SelectChoice(str(grid.id), grid.name) for grid in found.grids]
    route_form.grid_id.data = str(found.request.grid_id or "")
    return render_template("tasks/staff_request.html", review=found, req=found.request,
                           publish_form=publish_form, decline_form=ReasonForm(),
                           merge_form=merge_form, route_form=route_form, community=community)


@bp.post("/staff/requests/<int:request_id>/publish")
@staff_only
@in_community
def publish(community, request_id):
    back = url_for("tasks.staff_request", request_id=request_id)
    form = PublishForm([])
    if not form.validate_on_submit():
        flash(_("请把任务名称、积分、人数和截止时间填完整"), "error")
        return redirect(back)
    try:
        task = staff.publish_request(
            db.session, actor=current_user, community=community, request_id=request_id,
            title=form.title.data, type_id=int(form.type_id.data or 0) or None,
            points=form.points.data.strip(), volunteers_needed=form.volunteers_needed.data,
            deadline=form.deadline_utc(), now=utcnow())
    except DomainError as error:
        refused(error)
        return redirect(back)
    flash(_("已发布任务“%(title)s”，志愿者现在可以接单了", title=task.title), "success")
    return redirect(url_for("tasks.queue"))


@bp.post("/staff/requests/<int:request_id>/decline")
@staff_only
@in_community
def decline(community, request_id):
    form = ReasonForm()
    back = url_for("tasks.staff_request", request_id=request_id)
    if not form.validate_on_submit():
        flash(_("原因最多 %(limit)s 个字", limit=rules.REASON_LIMIT), "error")
        return redirect(back)
    try:
        staff.decline_request(db.session, actor=current_user, community=community,
                              request_id=request_id, reason=form.reason.data, now=utcnow())
    except DomainError as error:
        refused(error)
        return redirect(back)
    flash(_("已告诉居民不受理的原因"), "success")
    return redirect(url_for("tasks.queue"))


@bp.post("/staff/requests/<int:request_id>/merge")
@staff_only
@in_community
def merge(community, request_id):
    form = MergeForm()
    back = url_for("tasks.staff_request", request_id=request_id)
    if not form.validate_on_submit():
        flash(_("页面已过期，请重新操作"), "error")
        return redirect(back)
    try:
        staff.merge_request(db.session, actor=current_user, community=community,
                            request_id=request_id, into_id=_int(form.into_id.data), now=utcnow())
    except DomainError as error:
        refused(error)
        return redirect(back)
    flash(_("已合并，并告诉了点单的居民"), "success")
    return redirect(url_for("tasks.queue"))


@bp.post("/staff/requests/<int:request_id>/route")
@staff_only
@in_community
def route(community, request_id):
    form = RouteForm()
    back = url_for("tasks.staff_request", request_id=request_id)
    if not form.validate_on_submit():
        flash(_("页面已过期，请重新操作"), "error")
        return redirect(back)
    try:
        routed = staff.route_request(db.session, actor=current_user, community=community,
                                     request_id=request_id, grid_id=_int(form.grid_id.data),
                                     now=utcnow())
    except DomainError as error:
        refused(error)
        return redirect(back)
    flash(_("已转给%(grid)s", grid=routed.grid.name), "success")
    return redirect(url_for("tasks.queue"))


def _int(text):
    """A chosen row's id, or None (not a number, or beyond an INTEGER column)."""
    try:
        return row_id(text)
    except (TypeError, ValueError):
        return None


# Staff: tasks


@bp.get("/staff/tasks")
@staff_only
@in_community
def board(community):
    rows = staff.task_board(db.session, actor=current_user, community=community, now=utcnow())
    return render_template("tasks/staff_board.html", rows=rows, community=community)


@bp.get("/staff/tasks/<int:task_id>")
@staff_only
@in_community
def staff_task(community, task_id):
    view = staff.task_in_reach(db.session, actor=current_user, community=community,
                               task_id=task_id, now=utcnow())
    reassign_form = ReassignForm()
    reassign_form.from_volunteer_id.choices = [SelectChoice("", _("不换人，补一个空位"))] + [
        SelectChoice(str(place.volunteer_id), place.volunteer.name)
        for place in view.task.active_assignments if place.status != "done"]
    return render_template("tasks/staff_task.html", view=view, task=view.task, req=view.request,
                           reassign_form=reassign_form, cancel_form=ReasonForm(),
                           confirm_form=ConfirmForm(), decide_form=DecideForm(),
                           community=community)


@bp.post("/staff/tasks/<int:task_id>/reassign")
@staff_only
@in_community
def reassign(community, task_id):
    form = ReassignForm()
    back = url_for("tasks.staff_task", task_id=task_id)
    if not form.validate_on_submit():
        flash(_("请填写志愿者的手机号"), "error")
        return redirect(back)
    try:
        staff.reassign_task(db.session, actor=current_user, community=community, task_id=task_id,
                            from_volunteer_id=_int(form.from_volunteer_id.data),
                            to_phone=form.phone.data, now=utcnow())
    except DomainError as error:
        refused(error)
    else:
        flash(_("已调整志愿者，并通知了相关的人"), "success")
    return redirect(back)


@bp.post("/staff/tasks/<int:task_id>/cancel")
@staff_only
@in_community
def cancel(community, task_id):
    form = ReasonForm()
    back = url_for("tasks.staff_task", task_id=task_id)
    if form.validate_on_submit():
        try:
            staff.cancel_task(db.session, actor=current_user, community=community,
                              task_id=task_id, reason=form.reason.data, now=utcnow())
        except DomainError as error:
            refused(error)
        else:
            flash(_("任务已取消，并告诉了居民和志愿者"), "success")
    return redirect(back)


@bp.post("/staff/tasks/<int:task_id>/confirm")
@staff_only
@in_community
def confirm_for(community, task_id):
    form = ConfirmForm()
    back = url_for("tasks.staff_task", task_id=task_id)
    if form.validate_on_submit():
        try:
            staff.confirm_for(db.session, actor=current_user, community=community,
                              task_id=task_id, rating=form.rating.data, comment=form.comment.data,
                              now=utcnow())
        except DomainError as error:
            refused(error)
        else:
            flash(_("已替居民确认办好，志愿者的积分已经记上"), "success")
    return redirect(back)


@bp.post("/staff/tasks/<int:task_id>/<any(credit, no_credit):decision>")
@staff_only
@in_community
def decide(community, task_id, decision):
    form = DecideForm()
    back = url_for("tasks.staff_task", task_id=task_id)
    if form.validate_on_submit():
        try:
            staff.decide_dispute(db.session, actor=current_user, community=community,
                                 task_id=task_id, credit=decision == "credit",
                                 reason=form.reason.data, now=utcnow())
        except DomainError as error:
            refused(error)
        else:
            flash(_("异议已处理，并告诉了居民和志愿者"), "success")
    return redirect(back)


@bp.get("/staff/tasks/figures")
@staff_only
@in_community
def figures_page(community):
    days = request.args.get("days", FIGURE_DAYS, type=int)
    days = days if days in (7, 30, 90, 365) else FIGURE_DAYS
    until = start_of_local_date(local(utcnow()).date() + timedelta(days=1))
    since = until - timedelta(days=days)
    found = services.figures(db.session, community_id=community.id, since=since, until=until)
    return render_template("tasks/staff_figures.html", figures=found, days=days,
                           community=community)
