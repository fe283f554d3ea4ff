"""Pages of activity types under ``/staff/activity-types``: office staff create, edit,
stop and restart them; grid workers read the rules they explain to residents."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from points.auth import roles
from points.earning import rules, services
from points.earning.errors import EarningError
from points.earning.forms import ActivityTypeForm
from points.errors import translated
from points.extensions import db
from points.residents.forms import ButtonForm
from points.residents.views import in_community
from points.timeutil import utcnow
from points.web.access import require_role

bp = Blueprint("earning", __name__)

STAFF = "/staff/activity-types"
office = require_role(*roles.OFFICE_ROLES)


def rule_text(activity_type):
    """The type's rule in plain words, in the page's language."""
    return _("，").join(_(msgid, **params) if params else _(msgid)
                       for msgid, params in rules.rule_phrases(activity_type))


def category_label(category):
    return _(rules.CATEGORY_LABELS.get(category, rules.CATEGORY_LABELS["other"]))


@bp.get(STAFF)
@require_role(*roles.STAFF_ROLES)
@in_community
def types(community):
    found = services.types_for_page(db.session, community_id=community.id, now=utcnow())
    return render_template("staff/activity_types.html", types=found, community=community,
                           rule_text=rule_text, category_label=category_label,
                           may_edit=current_user.role in roles.OFFICE_ROLES, button=ButtonForm())


def save(community, form, type_id=None):
    """Save the posted rule; on a refusal the form is shown again with what was typed."""
    try:
        saved = services.save_type(db.session, actor=current_user, community_id=community.id,
                                   values=form.values(), type_id=type_id, now=utcnow())
    except EarningError as error:
        flash(translated(error), "error")
        return None
    flash(_("已保存“%(name)s”", name=saved.name), "success")
    return redirect(url_for("earning.types"))


@bp.route(f"{STAFF}/new", methods=["GET", "POST"])
@office
@in_community
def new_type(community):
    form = ActivityTypeForm()
    if form.validate_on_submit() and (done := save(community, form)):
        return done
    return render_template("staff/activity_types_form.html", form=form, community=community,
                           activity_type=None)


@bp.route(f"{STAFF}/<int:type_id>", methods=["GET", "POST"])
@office
@in_community
def edit_type(community, type_id):
    activity_type = services.get_type(db.session, community.id, type_id)
    form = ActivityTypeForm()
    if not form.is_submitted():
        form.fill_from(activity_type)
    elif form.validate() and (done := save(community, form, type_id)):
        return done
    return render_template("staff/activity_types_form.html", form=form, community=community,
                           activity_type=activity_type)


@bp.post(f"{STAFF}/<int:type_id>/<any(deactivate, activate):change>")
@office
@in_community
def set_active(community, type_id, change):
    if ButtonForm().validate_on_submit():
        changed = services.set_type_active(db.session, actor=current_user,
                                           community_id=community.id, type_id=type_id,
                                           active=change == "activate", now=utcnow())
        flash(_("已恢复“%(name)s”", name=changed.name) if changed.active
              else _("已停用“%(name)s”", name=changed.name), "success")
    return redirect(url_for("earning.types"))
