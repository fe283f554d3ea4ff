"""``/api/v1/merchant/redemptions``: a shop's till redeems a voucher, lists its
redemptions and refunds one.

Statuses of ``POST /merchant/redemptions`` (the contract of DESIGN.md): 201 redeemed;
409 already redeemed; 410 expired, cancelled or refunded; 404 unknown (a tampered token,
another QR, another community's code); 403 not valid at this shop; 422 wrong check
character; 429 after ``WRONG_CODES`` wrong codes (the same count as the scan page's).
"""
from flask import current_app, g

from merchants import scanning
from merchants.scan_schemas import (RedemptionIn, RedemptionOut, RedemptionPageOut,
                                    RedemptionQueryIn, RefundIn)
from merchants.views_scan import REDEEMER_ROLES, wrong_codes
from points.api import Blueprint, token_required
from points.api.idempotency import idempotent
from points.auth import roles
from points import months
from points.extensions import db
from points.timeutil import utcnow

blp = Blueprint("api_scan", __name__, url_prefix="/api/v1",
                description="A shop redeems vouchers, lists and refunds its redemptions")


@blp.post("/merchant/redemptions")
@token_required(*REDEEMER_ROLES)
@idempotent
@wrong_codes
@blp.arguments(RedemptionIn)
@blp.response(201, RedemptionOut)
@blp.alt_response(403, description="Not valid at this shop (``wrong_shop``).")
@blp.alt_response(404, description="Unknown: ``voucher_not_found``, ``bad_voucher_token`` "
                                   "(tampered or truncated QR), ``not_a_voucher``.")
@blp.alt_response(409, description="Already redeemed (``voucher_already_redeemed``).")
@blp.alt_response(410, description="``voucher_expired``, ``voucher_cancelled``, ``voucher_refunded``.")
@blp.alt_response(422, description="Wrong check character (``bad_check_character``).")
@blp.alt_response(429, description="Too many wrong codes; see ``Retry-After``.")
@blp.doc(security=[{"bearer": []}])
def redeem(data):
    """Redeem a voucher at the caller's shop (a clerk or owner), or at the community
    store's counter (office staff), exactly once whatever the timing.

    ``code`` is what was scanned or typed: the short code, the bare token or the QR URL.
    """
    return scanning.redeem_scanned(db.session, clerk=g.user, scanned=data["code"],
                                   secret=current_app.config["SECRET_KEY"], now=utcnow())


@blp.get("/merchant/redemptions")
@token_required(*roles.MERCHANT_ROLES)
@blp.arguments(RedemptionQueryIn, location="query", as_kwargs=True)
@blp.response(200, RedemptionPageOut)
@blp.doc(security=[{"bearer": []}])
def redemptions(limit, cursor, period):
    """The shop's redemptions (still redeemed or refunded), newest first; ``period``
    keeps one local month. Pass ``next_cursor`` as ``cursor`` for the next page."""
    since = until = None
    if period:
        since, until = months.moments_of(months.first_day(period))
    page, next_cursor = scanning.redemptions_page(db.session, merchant_id=g.user.merchant_id,
                                                  since=since, until=until, cursor=cursor,
                                                  limit=limit)
    return {"redemptions": page, "next_cursor": next_cursor}


@blp.post("/merchant/redemptions/<int:voucher_id>/refund")
@token_required(*roles.MERCHANT_ROLES)
@idempotent
@blp.arguments(RefundIn)
@blp.response(200, RedemptionOut)
@blp.alt_response(403, description="A clerk may refund only their own redemptions of the "
                                   "day (``refund_not_allowed``); the owner any.")
@blp.alt_response(404, description="Not a redemption of this shop.")
@blp.alt_response(409, description="``already_settled`` (the month is settled) or "
                                   "``not_refundable`` (not redeemed, e.g. refunded already).")
@blp.doc(security=[{"bearer": []}])
def refund(data, voucher_id):
    """Give a redemption back before its month is settled: the points return to the
    resident (or their coupon). The reason is required."""
    return scanning.refund(db.session, actor=g.user, voucher_id=voucher_id,
                           reason=data["reason"], now=utcnow())

