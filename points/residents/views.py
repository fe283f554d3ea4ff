"""Resident pages: the office's register, list, import and proxy links under
``/staff/residents``, and 我的 (``/me``) with the family proxy's switch."""
import io
import json
from functools import wraps

from flask import (Blueprint, current_app, flash, make_response, redirect, render_template,
                   request, send_file, session as http_session, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from points.auth import roles
from points.auth.errors import AuthError
from points.communities.models import Community
from points.errors import status_for, translated
from points.extensions import db
from points.residents import importing, privacy, rules, services, sheets
from points.residents.acting import residents_for
from points.residents.errors import ResidentError
from points.residents.forms import AnonymiseForm, ButtonForm, ImportForm, ProxyForm, ResidentForm
from points.residents.switching import current_acting, start_acting, stop_acting
from points.timeutil import utcnow
from points.web.access import require_role
from points.web.forms import row_id

bp = Blueprint("residents", __name__)

STAFF = "/staff/residents"
COMMUNITY_KEY = "staff_community_id"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
registrars = require_role(*rules.REGISTRAR_ROLES)


def staff_community():
    """The community the staff member works in: their own, or the one a district
    administrator chose (they belong to none)."""
    if current_user.community_id is not None:
        return current_user.community
    chosen = http_session.get(COMMUNITY_KEY)
    return db.session.get(Community, chosen) if chosen else None


def in_community(view):
    """Pass the staff member's community to ``view``; a district administrator who has
    not chosen one is sent to choose."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        community = staff_community()
        if community is None:
            return redirect(url_for("residents.choose_community"))
        return view(community, *args, **kwargs)

    return wrapped


def private_page(body, status=200):
    """Pages with initial passwords: never kept by the browser or a proxy cache."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def page_number():
    return max(request.args.get("page", 1, type=row_id) or 1, 1)


@bp.route(f"{STAFF}/community", methods=["GET", "POST"])
@require_role(roles.DISTRICT_ADMIN)
def choose_community():
    if request.method == "POST":
        community = db.session.get(Community, request.form.get("community_id", type=row_id) or 0)
        if community is not None:
            http_session[COMMUNITY_KEY] = community.id
            return redirect(url_for("residents.index"))
    communities = db.session.scalars(select(Community).order_by(Community.name)).all()
    return render_template("staff/residents_community.html", communities=communities,
                           form=ButtonForm())


@bp.get(STAFF)
@registrars
@in_community
def index(community):
    page = services.list_residents(db.session, actor=current_user, community=community,
                                   query=request.args.get("q", ""), page=page_number())
    return render_template("staff/residents.html", page=page, community=community,
                           full_phone=rules.shows_full_phone(current_user))


@bp.route(f"{STAFF}/new", methods=["GET", "POST"])
@registrars
@in_community
def register(community):
    grids = services.grids_in_reach(db.session, actor=current_user, community=community)
    form = ResidentForm(grids)
    if form.validate_on_submit():
        try:
            registration = services.register_resident(
                db.session, actor=current_user, community=community, name=form.name.data,
                phone=form.phone.data, grid_id=form.grid_id.data, address=form.address.data,
                relation=form.relation.data, now=utcnow())
        except (ResidentError, AuthError) as error:
            # Shown on the form itself, so that what was typed is not lost.
            flash(translated(error), "error")
        else:
            return private_page(render_template("staff/residents_created.html",
                                                registration=registration))
    return render_template("staff/residents_new.html", form=form, grids=grids,
                           community=community)


@bp.get(f"{STAFF}/<int:user_id>")
@registrars
@in_community
def detail(community, user_id):
    found = services.resident_detail(db.session, actor=current_user, community=community,
                                     user_id=user_id)
    return render_template("staff/residents_detail.html", detail=found, form=ProxyForm(),
                           button=ButtonForm(), full_phone=rules.shows_full_phone(current_user))


@bp.post(f"{STAFF}/<int:user_id>/proxies")
@registrars
@in_community
def grant_proxy(community, user_id):
    form = ProxyForm()
    if form.validate_on_submit():
        grant = services.grant_proxy(db.session, actor=current_user, community=community,
                                     resident_id=user_id, proxy_phone=form.phone.data,
                                     relation=form.relation.data, now=utcnow())
        flash(_("已设好：%(proxy)s 可以代 %(resident)s 操作", proxy=grant.proxy.name,
                resident=grant.resident.name), "success")
    else:
        flash(_("请填写家人的手机号"), "error")
    return redirect(url_for("residents.detail", user_id=user_id))


@bp.post(f"{STAFF}/proxies/<int:grant_id>/revoke")
@registrars
@in_community
def revoke_proxy(community, grant_id):
    grant = services.revoke_proxy(db.session, actor=current_user, community=community,
                                  grant_id=grant_id, now=utcnow())
    flash(_("已取消 %(proxy)s 的代理", proxy=grant.proxy.name), "success")
    return redirect(url_for("residents.detail", user_id=grant.resident_id))


@bp.route(f"{STAFF}/import", methods=["GET", "POST"])
@registrars
@in_community
def import_sheet(community):
    form = ImportForm()
    limit = current_app.config["IMPORT_MAX_BYTES"]
    if not form.validate_on_submit():
        return render_template("staff/import.html", form=form, max_rows=importing.MAX_ROWS,
                               max_size=sheets.size_label(limit))
    report = importing.import_residents(
        db.session, actor=current_user, community=community,
        data=form.sheet.data.read(limit + 1), max_bytes=limit, now=utcnow())
    body = render_template("staff/import_report.html", report=report, community=community)
    return private_page(body, 200 if report.imported else 422)


@bp.get(f"{STAFF}/import/template.xlsx")
@registrars
@in_community
def import_template(community):
    grids = services.grids_in_reach(db.session, actor=current_user, community=community)
    data = sheets.template_workbook([grid.name for grid in grids])
    return send_file(io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True,
                     download_name="居民登记表模板.xlsx")


@bp.get("/me")
@require_role(*roles.WALLET_ROLES)
def me():
    """我的: the person's own details and the 亲情代理 switch."""
    return render_template("resident/proxy_switch.html",
                           acting=current_acting(db.session, current_user),
                           residents=residents_for(db.session, current_user), button=ButtonForm())


@bp.post("/me/acting/<int:resident_id>")
@require_role(*roles.WALLET_ROLES)
def act_for(resident_id):
    acting = start_acting(db.session, current_user, resident_id)
    flash(_("现在是代 %(name)s 操作", name=acting.resident.name), "info")
    return redirect(url_for("web.resident_home"))


@bp.post("/me/acting/stop")
@require_role(*roles.WALLET_ROLES)
def stop():
    stop_acting()
    flash(_("已回到您自己的账户"), "info")
    return redirect(url_for("web.resident_home"))


# --- personal data (PIPL): own data download, anonymising a resident who leaves ---------

def own_data_response(user):
    now = utcnow()
    body = json.dumps(privacy.own_data(db.session, user, now=now), ensure_ascii=False, indent=2)
    response = make_response(body)
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers["Content-Disposition"] = f"attachment; filename=my-data-{now.date().isoformat()}.json"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/me/data")
@require_role(*roles.WALLET_ROLES)
def my_data():
    """The signed-in person's own data as a JSON file (never the resident they act for)."""
    return own_data_response(current_user)


@bp.route(f"{STAFF}/<int:user_id>/anonymise", methods=["GET", "POST"])
@require_role(*roles.OFFICE_ROLES)
@in_community
def anonymise(community, user_id):
    found = services.resident_detail(db.session, actor=current_user, community=community,
                                     user_id=user_id)
    form = AnonymiseForm()
    name, status = found.row.user.name, 200
    if form.validate_on_submit():
        try:
            privacy.anonymise(db.session, actor=current_user, user_id=user_id,
                              reason=form.reason.data, now=utcnow())
        except ResidentError as error:
            flash(translated(error), "error")
            status = status_for(error)
        else:
            flash(_("已注销并匿名化：%(name)s", name=name), "success")
            return redirect(url_for("residents.detail", user_id=user_id))
    elif request.method == "POST":
        status = 422
    return render_template("staff/residents_anonymise.html", detail=found, form=form,
                           anonymised=privacy.is_anonymised(found.row.user)), status
