"""Staff set the community's level names and thresholds (``/staff/levels``: office staff
edit, grid workers read); office staff take a credit back from a page
(``/staff/credits/<id>/reverse``, the form is on the claim's page)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

import ledger
from ledger.errors import LedgerError
from points.auth import roles
from points.earning import services as earning
from points.earning.errors import CreditNotFoundError, EarningError
from points.errors import ForbiddenError, translated
from points.extensions import db
from points.gamification import rules, services
from points.gamification.errors import GamificationError
from points.residents.views import in_community
from points.timeutil import utcnow
from points.web.access import require_role

bp = Blueprint("levels", __name__)

STAFF = "/staff/levels"
ROWS = 10  # rules.ensure_valid_ladder: at most 10 steps
NAME_LIMIT = 20
REASON_LIMIT = 200
WHOLE = r"^\s*\d{1,9}\s*$"


@bp.context_processor
def level_helpers():
    return {"amount": ledger.format_amount}


class LevelRow(Form):
    """One step of the ladder (a plain wtforms Form: the page's form carries the CSRF)."""

    name = StringField(_l("等级名称"), validators=[
        Optional(), Length(max=NAME_LIMIT, message=_l("名称最多 20 个字"))],
        render_kw={"maxlength": NAME_LIMIT, "autocomplete": "off"})
    threshold = StringField(_l("从多少分起"), validators=[
        Optional(), Regexp(WHOLE, message=_l("请填写整数"))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"})


class LadderForm(FlaskForm):
    rows = FieldList(FormField(LevelRow), min_entries=ROWS, max_entries=ROWS)

    def ladder(self):
        """The filled rows as ``(threshold, name)`` text; empty rows are left out."""
        steps = []
        for row in self.rows:
            name, threshold = (row.form.name.data or "").strip(), (row.form.threshold.data or "").strip()
            if name or threshold:
                steps.append((threshold, name))
        return steps


class ReverseForm(FlaskForm):
    reason = TextAreaField(_l("撤销的原因（居民会看到）"), validators=[
        DataRequired(_l("请填写撤销的原因")),
        Length(max=REASON_LIMIT, message=_l("原因最多 200 个字"))],
        render_kw={"rows": 3, "maxlength": REASON_LIMIT})
    next = StringField()


def ladder_form(steps):
    """The form showing ``steps`` in its first rows, the rest empty."""
    rows = [{"name": name, "threshold": ledger.format_amount(threshold)} for threshold, name in steps]
    return LadderForm(formdata=None, data={"rows": rows + [{}] * (ROWS - len(rows))})


@bp.route(STAFF, methods=["GET", "POST"])
@require_role(*roles.STAFF_ROLES)
@in_community
def index(community):
    may_edit = current_user.role in roles.OFFICE_ROLES
    if request.method == "POST" and not may_edit:
        raise ForbiddenError()
    steps = services.ladder(db.session, community.id)
    form = LadderForm() if request.method == "POST" else ladder_form(steps)
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.save_ladder(db.session, actor=current_user, community_id=community.id,
                                 ladder=form.ladder(), now=utcnow())
        except GamificationError as error:
            flash(translated(error), "error")
        else:
            flash(_("等级已保存，每个人的等级马上按新的设置显示"), "success")
            return redirect(url_for("levels.index"))
    levels = [rules.level_for(threshold, steps) for threshold, _name in sorted(steps)]
    return render_template("staff/levels.html", community=community, form=form, levels=levels,
                           is_default=steps == list(rules.DEFAULT_LEVELS), may_edit=may_edit)


def local_path(text):
    """``text`` if it is a path on this site (never another host), else None."""
    text = (text or "").strip()
    if text.startswith("/") and not text.startswith("//") and "\\" not in text:
        return text
    return None


@bp.post("/staff/credits/<int:credit_id>/reverse")
@require_role(*roles.OFFICE_ROLES)
def reverse_credit(credit_id):
    form = ReverseForm()
    back = local_path(form.next.data) or url_for("web.staff_home")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(str(errors[0]), "error")
        return redirect(back)
    try:
        credit = earning.reverse_credit(db.session, actor=current_user, credit_id=credit_id,
                                        reason=form.reason.data, now=utcnow())
    except CreditNotFoundError:
        raise
    except (EarningError, LedgerError) as error:
        flash(translated(error), "error")
        return redirect(back)
    flash(_("已撤销这笔 %(points)s 分的积分，并通知了本人",
            points=ledger.format_amount(credit.points)), "success")
    return redirect(back)
