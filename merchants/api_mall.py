"""JSON API of the mall: the catalogue and a resident's vouchers.

``POST /api/v1/vouchers`` takes an optional ``Idempotency-Key`` header (1–80 visible
ASCII characters, one per intended voucher). The first request with a key makes the
voucher and answers **201**; the same request again (same key, same body) makes nothing,
moves nothing and answers **200** with the same voucher as it is now, and the header
``Idempotent-Replayed: true``. The same key with a different body is refused, **422**
``idempotency_conflict``. Without the header every request makes a new voucher.

Refusals: not enough points **422** ``insufficient_points`` (the message says how many
are available and needed); the last unit gone **409** ``out_of_stock``; hidden offer,
shop not active, monthly limit, over the shop's per-bill cap **422**; unknown offer or
shop **404**. Cancelling a voucher that is not held: **409** when it was redeemed,
**410** when it was cancelled, expired or refunded.
"""

from flask import current_app, g

from merchants import catalogue, services
from merchants.schemas import (CatalogOut, VoucherIn, VoucherListOut, VoucherListQueryIn,
                               VoucherOut)
from points.api import Blueprint, token_required
from points.api.idempotency import idempotency_key, idempotent
from points.auth import roles
from points.extensions import db
from points.residents.acting import acting_as_self
from points.timeutil import utcnow

blp = Blueprint("api_mall", __name__, url_prefix="/api/v1",
                description="The mall's catalogue and a resident's vouchers")

BEARER = [{"bearer": []}]



@blp.get("/catalog")
@token_required(roles.RESIDENT)
@blp.response(200, CatalogOut)
@blp.doc(security=BEARER)
def catalog():
    """The community store's goods and the open shops' offers, with stock left
    (``stock`` null: unlimited; ``sold_out`` when none is left), and the open shops
    where part of a bill can be paid in points. Hidden offers and the offers of shops
    not (or no longer) approved are left out."""
    return catalogue.mall(db.session, community_id=g.user.community_id)


@blp.post("/vouchers")
@token_required(roles.RESIDENT)
@blp.arguments(VoucherIn)
@blp.response(201, VoucherOut)
@blp.alt_response(200, schema=VoucherOut, description="A replay of the same Idempotency-Key "
                  "and body: nothing new was made; the first voucher as it is now.")
@blp.doc(security=BEARER, parameters=[{
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 80},
    "description": "One key per intended voucher; a retry with the same key and body "
                   "returns the first voucher (200) and moves nothing."}])
def create_voucher(data):
    """Hold the resident's points for an offer (``{"offer_id"}``, one unit of stock
    reserved) or for an amount at a shop (``{"merchant_id", "points"}``, within its
    per-bill cap). The voucher shows ``code`` and ``qr`` (the signed URL its QR code
    carries) until ``expires_at``."""
    issued = services.issue_voucher(
        db.session, acting=acting_as_self(g.user), idempotency_key=idempotency_key(),
        item_ttl=current_app.config["VOUCHER_ITEM_TTL"],
        amount_ttl=current_app.config["VOUCHER_AMOUNT_TTL"], now=utcnow(), **data)
    if issued.created:
        return issued.voucher
    return issued.voucher, 200, {"Idempotent-Replayed": "true"}


@blp.get("/vouchers")
@token_required(roles.RESIDENT)
@blp.arguments(VoucherListQueryIn, location="query", as_kwargs=True)
@blp.response(200, VoucherListOut)
@blp.doc(security=BEARER)
def list_vouchers(limit, status, cursor):
    """The resident's own vouchers, newest first, ``limit`` a page; ``status=held`` for
    the ones still usable. Pages are cut by id, so a voucher made meanwhile never shifts
    a later page: pass ``next_cursor`` as ``cursor``."""
    vouchers, next_cursor = catalogue.voucher_page(db.session, resident=g.user, status=status,
                                                   before=cursor, limit=limit, now=utcnow())
    return {"vouchers": vouchers, "next_cursor": next_cursor}


@blp.get("/vouchers/<int:voucher_id>")
@token_required(roles.RESIDENT)
@blp.response(200, VoucherOut)
@blp.doc(security=BEARER)
def get_voucher(voucher_id):
    """One of the resident's own vouchers; anyone else's is 404."""
    return services.own_voucher(db.session, g.user, voucher_id)


@blp.post("/vouchers/<int:voucher_id>/cancel")
@token_required(roles.RESIDENT)
@idempotent
@blp.response(200, VoucherOut)
@blp.doc(security=BEARER)
def cancel_voucher(voucher_id):
    """Give a held voucher up: the points return to the wallet and the unit to stock.
    409 when it was already redeemed; 410 when cancelled, expired or refunded."""
    return services.cancel_voucher(db.session, acting=acting_as_self(g.user),
                                   voucher_id=voucher_id, now=utcnow())
