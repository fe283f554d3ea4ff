"""Pages of the community fund, the 积分券 and the settlements.

- Office staff: ``/staff/fund`` (balance, movements, coverage; record a donation or 义卖
  income), ``/staff/coupons`` (rules, issuing a month), ``/staff/settlements`` (each shop's
  month, running a settlement, marking it paid).
- A shop owner: ``/merchant/settlements`` and each statement; clerks are pointed to the
  owner. Owners and the office download a statement as CSV or XLSX, or print it.
- Residents (or their family proxy): ``/coupons``, their coupons, and using one at a shop.
"""
from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import ledger
from ledger.errors import DomainError
from merchants import coupons, exports, fund, settlement as settling
from merchants.errors import ShopNotFoundError
from merchants.settlement_forms import (CouponRuleForm, IncomeForm, MonthForm, PaidForm,
                                        UseCouponForm)
from merchants.views import bp
from points import codes
from points.auth import roles
from points.errors import translated
from points.extensions import db
from points.residents.acting import acting_for, posted_resident_id
from points.residents.forms import ButtonForm
from points.residents.switching import current_acting
from points.residents.views import in_community
from points.timeutil import local, utcnow
from points.web.access import require_role

office = require_role(*roles.OFFICE_ROLES)


def yuan(amount):
    return ledger.format_amount(amount, ledger.CNY)


def local_time(moment):
    return local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def kind_label(kind):
    """A fund movement's kind in plain words, in the page's language."""
    return _(fund.KIND_LABELS[kind]) if kind in fund.KIND_LABELS else kind


def helpers():
    return {"yuan": yuan, "points": ledger.format_amount, "local_time": local_time,
            "display_code": codes.display, "kind_label": kind_label,
            "status_label": exports.status_label, "line_label": exports.line_status}


def month_in(args, default):
    """The ``month`` asked for in the query string, or ``default`` when absent or bad."""
    month = (args.get("month") or args.get("period") or "").strip()
    try:
        settling.parse_period(month)
    except DomainError:
        return default
    return month


def refused(error):
    flash(translated(error), "error")


# The fund ----------------------------------------------------------------------------

@bp.route("/staff/fund", methods=["GET", "POST"])
@office
@in_community
def fund_page(community):
    form = IncomeForm()
    if not form.is_submitted():
        form.received_on.data = local(utcnow()).date()
    elif form.validate():
        try:
            recorded = fund.record_income(
                db.session, actor=current_user, community=community, kind=form.kind.data,
                amount=form.amount.data.strip(), source=form.source.data,
                received_on=form.received_on.data, note=form.note.data,
                request_key=form.request_key.data, now=utcnow())
        except DomainError as error:
            refused(error)
        else:
            flash(_("已记入社区基金：¥%(amount)s", amount=yuan(recorded.income.amount_cny)),
                  "success")
            return redirect(url_for("merchants.fund_page"))
    return render_template("staff/fund.html", form=form, community=community,
                           overview=fund.overview(db.session, community), **helpers())


# Coupons (office) --------------------------------------------------------------------

@bp.get("/staff/coupons")
@office
@in_community
def coupon_rules(community):
    month = month_in(request.args, settling.period_of(utcnow()))
    return render_template(
        "staff/coupons.html", community=community, month=month, form=CouponRuleForm(),
        rows=coupons.month_overview(db.session, community.id, month),
        issue_form=MonthForm(month=month), **helpers())


def save_rule(community, form, rule_id=None):
    try:
        rule = coupons.save_rule(db.session, actor=current_user, community=community,
                                 values=form.values(), rule_id=rule_id, now=utcnow())
    except DomainError as error:
        refused(error)
        return None
    flash(_("已保存积分券规则“%(name)s”", name=rule.name), "success")
    return redirect(url_for("merchants.coupon_rules"))


@bp.post("/staff/coupons")
@office
@in_community
def new_coupon_rule(community):
    form = CouponRuleForm()
    if form.validate_on_submit() and (done := save_rule(community, form)):
        return done
    return render_template("staff/coupons_form.html", form=form, rule=None, community=community)


@bp.route("/staff/coupons/<int:rule_id>", methods=["GET", "POST"])
@office
@in_community
def edit_coupon_rule(community, rule_id):
    rule = coupons.get_rule(db.session, community.id, rule_id)
    form = CouponRuleForm()
    if not form.is_submitted():
        form.fill_from(rule)
    elif form.validate() and (done := save_rule(community, form, rule_id)):
        return done
    return render_template("staff/coupons_form.html", form=form, rule=rule, community=community)


@bp.post("/staff/coupons/<int:rule_id>/issue")
@office
@in_community
def issue_coupons(community, rule_id):
    form = MonthForm()
    month = (form.month.data or "").strip()
    if not form.validate_on_submit():
        flash(_("请写成 2026-11 这样"), "error")
        return redirect(url_for("merchants.coupon_rules"))
    try:
        report = coupons.issue_coupons(db.session, actor=current_user, community=community,
                                       rule_id=rule_id, month=month, now=utcnow())
    except DomainError as error:
        if error.code == "not_found":
            raise
        refused(error)
    else:
        flash(_("%(month)s 发放 %(issued)s 张，预算不够未发 %(skipped)s 张，之前已发 %(already)s 张",
                month=month, issued=report.issued, skipped=report.skipped_by_budget,
                already=report.already), "success")
    return redirect(url_for("merchants.coupon_rules", month=month))


# Coupons (residents) -----------------------------------------------------------------

@bp.get("/coupons")
@require_role(roles.RESIDENT)
def my_coupons():
    acting = current_acting(db.session, current_user)
    shops = coupons.partner_shops(db.session, acting.resident.community_id)
    now = utcnow()
    return render_template("resident/coupons.html", acting=acting, now=now,
                           items=coupons.coupons_of(db.session, acting.resident, now=now),
                           form=UseCouponForm(shops, acting_for=acting.resident.id),
                           shops=shops, last_day=coupons.last_day,
                           usable=coupons.is_usable, **helpers())


@bp.post("/coupons/<int:coupon_id>/use")
@require_role(roles.RESIDENT)
def use_coupon(coupon_id):
    form = UseCouponForm([])
    if not form.validate_on_submit():  # the shop chosen is not a number of a row
        refused(ShopNotFoundError())
        return redirect(url_for("merchants.my_coupons"))
    acting = acting_for(db.session, current_user, posted_resident_id(form.acting_for.data))
    try:
        issued = coupons.issue_coupon_voucher(
            db.session, acting=acting, coupon_id=coupon_id, merchant_id=form.merchant_id.data,
            amount_ttl=current_app.config["VOUCHER_AMOUNT_TTL"], now=utcnow())
    except DomainError as error:
        if error.code == "not_found":
            raise
        refused(error)
        return redirect(url_for("merchants.my_coupons"))
    flash(_("积分券已生成兑换券，请在店里出示二维码或券码"), "success")
    return redirect(url_for("merchants.voucher", voucher_id=issued.voucher.id))


# Settlements (office) ----------------------------------------------------------------

@bp.get("/staff/settlements")
@office
@in_community
def staff_settlements(community):
    now = utcnow()
    period = month_in(request.args, settling.previous_period(now))
    return render_template(
        "staff/settlements.html", community=community, period=period,
        ended=settling.is_period_ended(period, now), button=ButtonForm(),
        rows=settling.month_overview(db.session, community, period),
        recent=settling.list_settlements(db.session, viewer=current_user, limit=30),
        **helpers())


@bp.get("/staff/settlements/<int:merchant_id>/<period>")
@office
@in_community
def staff_statement(community, merchant_id, period):
    merchant = settling.shop_of(db.session, community.id, merchant_id)
    statement = settling.statement_of(db.session, merchant, period, community)
    return render_template(
        "staff/settlements_detail.html", statement=statement, community=community,
        ended=settling.is_period_ended(period, utcnow()), button=ButtonForm(),
        paid_form=PaidForm(), fund_balance=fund.fund_balance(db.session, community.id),
        **helpers())


def settled_message(settled):
    if not settled.created:
        return _("这个月已经结算过了，结算单没有变化")
    return _("已结算：%(points)s 积分，应付 ¥%(amount)s",
             points=ledger.format_amount(settled.settlement.points),
             amount=yuan(settled.settlement.amount_cny))


@bp.post("/staff/settlements/<int:merchant_id>/<period>")
@office
@in_community
def run_settlement(community, merchant_id, period):
    if ButtonForm().validate_on_submit():
        try:
            settled = settling.settle_merchant(db.session, actor=current_user, community=community,
                                               merchant_id=merchant_id, period=period,
                                               now=utcnow())
        except DomainError as error:
            if error.code in ("not_found", "shop_not_found", "forbidden"):
                raise
            refused(error)
        else:
            flash(settled_message(settled), "success")
    return redirect(url_for("merchants.staff_statement", merchant_id=merchant_id, period=period))


@bp.post("/staff/settlement-payments/<int:settlement_id>")
@office
@in_community
def mark_paid(community, settlement_id):
    settlement = settling.visible_settlement(db.session, viewer=current_user,
                                             settlement_id=settlement_id)
    form = PaidForm()
    if not form.validate_on_submit():
        flash(_("请填写付款凭证号"), "error")
    else:
        try:
            settling.mark_paid(db.session, actor=current_user, community=community,
                               settlement_id=settlement_id, reference=form.reference.data,
                               now=utcnow())
        except DomainError as error:
            refused(error)
        else:
            flash(_("已登记付款"), "success")
    return redirect(url_for("merchants.staff_statement", merchant_id=settlement.merchant_id,
                            period=settlement.period))


# Settlements (shop owners) and the downloads -----------------------------------------

@bp.get("/merchant/settlements")
@require_role(*roles.MERCHANT_ROLES)
def settlements():
    found = (settling.list_settlements(db.session, viewer=current_user)
             if current_user.role == roles.MERCHANT_OWNER else None)
    return render_template("merchant/settlements.html", settlements=found, **helpers())


@bp.get("/merchant/settlements/<int:settlement_id>")
@require_role(roles.MERCHANT_OWNER)
def merchant_statement(settlement_id):
    settlement = settling.visible_settlement(db.session, viewer=current_user,
                                             settlement_id=settlement_id)
    return render_template("merchant/settlements_detail.html",
                           statement=settling.statement_of_settlement(db.session, settlement),
                           **helpers())


readers = require_role(roles.MERCHANT_OWNER, *roles.OFFICE_ROLES)


def _statement(settlement_id):
    settlement = settling.visible_settlement(db.session, viewer=current_user,
                                             settlement_id=settlement_id)
    return settling.statement_of_settlement(db.session, settlement)


def _download(body, mimetype, filename):
    response = make_response(body)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/settlements/<int:settlement_id>/statement.csv")
@readers
def statement_csv(settlement_id):
    statement = _statement(settlement_id)
    return _download(exports.to_csv(statement), "text/csv; charset=utf-8",
                     exports.filename(statement, "csv"))


@bp.get("/settlements/<int:settlement_id>/statement.xlsx")
@readers
def statement_xlsx(settlement_id):
    statement = _statement(settlement_id)
    return _download(exports.to_xlsx(statement), exports.XLSX_MIME,
                     exports.filename(statement, "xlsx"))


@bp.get("/settlements/<int:settlement_id>/print")
@readers
def statement_print(settlement_id):
    return render_template("merchant/settlements_print.html", statement=_statement(settlement_id),
                           **helpers())
