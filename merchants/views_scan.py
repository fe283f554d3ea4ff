"""Pages of scanning and redemptions.

- ``/merchant/scan``: a shop's clerk or owner (or office staff at the community store's
  counter) scans the voucher's QR with the phone camera in the page, types its code, or
  uploads a photo of it; the result fills the screen, green or red with the reason.
- ``/v/<token>``: what a phone's own camera opens from the voucher's QR: the owner goes
  to their voucher, a clerk of its shop is asked "核销 X？" (a GET never redeems), anyone
  else sees a neutral page.
- ``/merchant/redemptions``: the shop's month of redemptions, totals and refunds.

Wrong codes are rate-limited per signed-in person (``WRONG_CODES``): only refusals that
look like guessing count (unknown, another shop's, wrong check character, not a voucher,
no QR in the photo: 403, 404, 422), through Flask-Limiter's ``deduct_when``; a voucher
that was already redeemed or has expired is a real voucher and does not count.
"""
from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

import ledger
from merchants import rules, scanning
from merchants.errors import MerchantError
from merchants.scan_schemas import RedemptionCursor, encode_cursor
from merchants.views import bp
from points.auth import roles
from points.errors import status_for, translated
from points.extensions import db, limiter
from points import months
from points.timeutil import local, utcnow
from points.web.access import require_role

REDEEMER_ROLES = tuple(roles.MERCHANT_ROLES | rules.COUNTER_ROLES)
WRONG_CODES = "10 per minute"
WRONG_CODE_STATUSES = frozenset({403, 404, 422})


def scanner_key():
    """Per person: the API's bearer user or the page's signed-in user (a till shared by
    two clerks counts each); the address only for someone signed out."""
    user = g.get("user") or (current_user if current_user.is_authenticated else None)
    return f"user:{user.id}" if user is not None else get_remote_address()


def is_wrong_code(response):
    return response.status_code in WRONG_CODE_STATUSES


wrong_codes = limiter.shared_limit(WRONG_CODES, scope="voucher-codes", key_func=scanner_key,
                                   deduct_when=is_wrong_code)


def secret():
    return current_app.config["SECRET_KEY"]


def show_outcome(outcome):
    """The full-screen result: green (200) or red with the refusal's status."""
    status = 200 if outcome.ok else status_for(outcome.error)
    message = None if outcome.ok else translated(outcome.error)
    return render_template("merchant/scan_result.html", outcome=outcome, message=message,
                           local=local, amount=ledger.format_amount), status


@bp.get("/merchant/scan")
@require_role(*REDEEMER_ROLES)
def scan():
    return render_template("merchant/scan.html",
                           shop=scanning.shop_of(db.session, current_user))


@bp.post("/merchant/scan")
@require_role(*REDEEMER_ROLES)
@wrong_codes
def scan_submit():
    return show_outcome(scanning.scan_outcome(db.session, clerk=current_user,
                                              scanned=request.form.get("code", ""),
                                              secret=secret(), now=utcnow()))


@bp.post("/merchant/scan/photo")
@require_role(*REDEEMER_ROLES)
@wrong_codes
def scan_photo():
    upload = request.files.get("photo")
    return show_outcome(scanning.photo_outcome(db.session, clerk=current_user,
                                               upload=upload.stream if upload else None,
                                               secret=secret(), now=utcnow()))


# The voucher's own URL ----------------------------------------------------------------

def voucher_page(voucher_id):
    """The resident's voucher page (the mall's ``merchants.voucher``)."""
    try:
        return url_for("merchants.voucher", voucher_id=voucher_id)
    except BuildError:  # the mall's pages are not there (yet): the same address
        return f"/vouchers/{voucher_id}"


@bp.get("/v/<token>")
@require_role()
def open_token(token):
    opened = scanning.voucher_at_url(db.session, token, user=current_user, secret=secret(),
                                     now=utcnow())
    if opened.opener == scanning.OWNER:
        return redirect(voucher_page(opened.voucher.id))
    if opened.opener == scanning.OTHER:
        return render_template("merchant/scan_neutral.html")
    if opened.refusal is not None:
        return show_outcome(scanning.Outcome(error=opened.refusal, voucher=opened.voucher))
    return render_template("merchant/scan_confirm.html", opened=opened, token=token,
                           local=local, amount=ledger.format_amount)


@bp.post("/v/<token>")
@require_role(*REDEEMER_ROLES)
@wrong_codes
def redeem_token(token):
    return show_outcome(scanning.scan_outcome(db.session, clerk=current_user, scanned=token,
                                              secret=secret(), now=utcnow()))


# Redemptions and refunds --------------------------------------------------------------

class RefundForm(FlaskForm):
    reason = TextAreaField(_l("退款原因（必填，居民会看到）"),
                           validators=[DataRequired(_l("请填写退款原因")), Length(max=200)],
                           render_kw={"rows": 3})


def page_cursor():
    raw = request.args.get("before")
    return RedemptionCursor().deserialize(raw) if raw else None


@bp.get("/merchant/redemptions")
@require_role(*roles.MERCHANT_ROLES)
def redemptions():
    month = scanning.month_of_redemptions(
        db.session, actor=current_user, period=request.args.get("period"),
        cursor=page_cursor(), now=utcnow())
    return render_template("merchant/redemptions.html", month=month, local=local,
                           amount=ledger.format_amount, cursor_text=encode_cursor)


@bp.route("/merchant/redemptions/<int:voucher_id>/refund", methods=["GET", "POST"])
@require_role(*roles.MERCHANT_ROLES)
def refund(voucher_id):
    redemption = scanning.redemption_for_shop(db.session, merchant_id=current_user.merchant_id,
                                              voucher_id=voucher_id)
    form, status = RefundForm(), 200
    if form.validate_on_submit():
        try:
            done = scanning.refund(db.session, actor=current_user, voucher_id=voucher_id,
                                   reason=form.reason.data, now=utcnow())
        except MerchantError as error:
            flash(translated(error), "error")
            status = status_for(error)
        else:
            flash(_("已退款，%(points)s 积分已退回给居民", points=ledger.format_amount(done.voucher.points)),
                  "success")
            return redirect(url_for("merchants.redemptions",
                                    period=months.month_of(done.voucher.redeemed_at)))
    return render_template("merchant/redemptions_refund.html", form=form, redemption=redemption,
                           local=local, amount=ledger.format_amount), status
