"""Pages of 文明积分 under ``/staff/inspections``: choose a grid and month, score its
households on one phone-sized sheet, correct a score (office staff), and the month's
清洁户 by grid."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import ledger
from ledger.errors import InsufficientPointsError
from points.auth import roles
from points.extensions import db
from points.inspections import rules, services
from points.inspections.errors import InspectionError
from points.inspections.forms import CorrectionForm, box_name, read_sheet
from points.errors import translated
from points.residents.forms import ButtonForm
from points.residents.services import grids_in_reach
from points.residents.views import in_community
from points.timeutil import utcnow
from points.web.access import require_role
from points.web.forms import row_id

bp = Blueprint("inspections", __name__)

STAFF = "/staff/inspections"
inspectors = require_role(*roles.STAFF_ROLES)


def page_helpers():
    return {"items": rules.ITEMS, "item_label": lambda item: _(rules.ITEM_LABELS[item]),
            "box_name": box_name, "amount": ledger.format_amount,
            "may_correct": current_user.role in roles.OFFICE_ROLES}


@bp.get(STAFF)
@inspectors
@in_community
def index(community):
    if request.args.get("grid_id", type=row_id) and request.args.get("month"):
        return redirect(url_for("inspections.sheet", grid_id=request.args.get("grid_id", type=row_id),
                                month=request.args["month"]))
    month = rules.month_of(utcnow())
    return render_template(
        "staff/inspections.html", community=community, month=month,
        grids=grids_in_reach(db.session, actor=current_user, community=community),
        recent=services.recent_inspections(db.session, actor=current_user, community=community))


def render_sheet(sheet, found=None, status=200):
    return render_template("staff/inspections_sheet.html", sheet=sheet, found=found,
                           button=ButtonForm(), **page_helpers()), status


@bp.get(f"{STAFF}/<int:grid_id>/<month>")
@inspectors
@in_community
def sheet(community, grid_id, month):
    return render_sheet(services.grid_sheet(db.session, actor=current_user, community=community,
                                            grid_id=grid_id, month=month, now=utcnow()))


@bp.post(f"{STAFF}/<int:grid_id>/<month>")
@inspectors
@in_community
def save(community, grid_id, month):
    current = services.grid_sheet(db.session, actor=current_user, community=community,
                                  grid_id=grid_id, month=month, now=utcnow())
    found = read_sheet(request.form, [row.household for row in current.rows if not row.score])
    if found.errors or not found.entries:
        flash(_("有几户的分数没填对，请看标红的地方") if found.errors else _("请至少给一户打分"),
              "error")
        return render_sheet(current, found, 422)
    scored = services.score_grid(db.session, actor=current_user, community=community,
                                 grid_id=grid_id, month=current.month, entries=found.entries,
                                 now=utcnow())
    passed = sum(score.passed for score in scored.created)
    flash(_("已保存 %(count)s 户：%(passed)s 户评为清洁户，%(failed)s 户未达标",
            count=len(scored.created), passed=passed, failed=len(scored.created) - passed),
          "success")
    if len(scored.results) > len(scored.created):  # someone else scored them meanwhile
        flash(_("%(count)s 户这个月已经评过，结果保持不变",
                count=len(scored.results) - len(scored.created)), "info")
    return redirect(url_for("inspections.sheet", grid_id=grid_id, month=current.month))


@bp.route(f"{STAFF}/scores/<int:score_id>/correct", methods=["GET", "POST"])
@require_role(*roles.OFFICE_ROLES)
@in_community
def correct(community, score_id):
    score = services.score_in_reach(db.session, actor=current_user, community=community,
                                    score_id=score_id)
    form = CorrectionForm()
    if not form.is_submitted():
        form.fill_from(score)
    elif form.validate():
        try:
            score = services.correct_score(
                db.session, actor=current_user, community=community, score_id=score_id,
                values=form.values(), reason=form.reason.data, now=utcnow(),
                expected_revision=form.expected_revision())
        except (InspectionError, InsufficientPointsError) as error:
            flash(translated(error), "error")  # on the form, so that nothing typed is lost
        else:
            flash(_("已更正 %(address)s 的评比", address=score.household.address), "success")
            return redirect(url_for("inspections.sheet", grid_id=score.inspection.grid_id,
                                    month=score.month))
    return render_template("staff/inspections_correct.html", score=score, form=form,
                           **page_helpers())


@bp.get(f"{STAFF}/clean")
@inspectors
@in_community
def clean(community):
    month = request.args.get("month") or rules.month_of(utcnow())
    found = services.clean_households_in_reach(db.session, actor=current_user,
                                               community=community, month=month, now=utcnow())
    return render_template("staff/inspections_clean.html", community=community, month=month,
                           found=found, this_month=rules.month_of(utcnow()), **page_helpers())
