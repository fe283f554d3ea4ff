"""``/api/v1/settlements``: run a shop's month (office staff), read statements (the office
of the community, or a shop's owner for their own shop), and record the payment."""
from flask import g

from merchants import settlement as settling
from merchants.errors import ShopNotFoundError
from merchants.models import Merchant
from merchants.settlement_schemas import (PaidIn, SettlementIn, SettlementListOut,
                                          SettlementOut, SettlementQueryIn)
from points.api import Blueprint, token_required
from points.api.idempotency import idempotent
from points.auth import roles
from points.communities.models import Community
from points.extensions import db
from points.timeutil import utcnow

blp = Blueprint("api_settlement", __name__, url_prefix="/api/v1",
                description="Monthly settlement of partner shops in yuan from the community fund")

READERS = (roles.MERCHANT_OWNER, *roles.OFFICE_ROLES)


def community_for(user, merchant_id):
    """The community the staff member acts in: their own; a district administrator's is
    the shop's (``ShopNotFoundError`` for an unknown shop)."""
    if user.community_id is not None:
        return user.community
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None:
        raise ShopNotFoundError()
    return db.session.get(Community, merchant.community_id)


def full_statement(settlement):
    return settling.statement_of_settlement(db.session, settlement)


@blp.post("/settlements")
@token_required(*roles.OFFICE_ROLES)
@idempotent
@blp.arguments(SettlementIn)
@blp.response(201, SettlementOut)
@blp.alt_response(200, schema=SettlementOut, description="The month was settled before: "
                  "the same statement, nothing moved.")
@blp.doc(security=[{"bearer": []}])
def create(data):
    """Settle a shop's month: its redeemed points (net of refunds) retire and their yuan at
    the community's rate move from the fund to what is owed to the shop, at once.

    201 with the statement; 200 with the same statement when the month was settled
    before. 422 for a month not yet ended (``period_not_ended``) or a fund that cannot
    cover it (``fund_insufficient``, nothing moves); 404 for an unknown shop.
    """
    settled = settling.settle_merchant(
        db.session, actor=g.user, community=community_for(g.user, data["merchant_id"]),
        merchant_id=data["merchant_id"], period=data["period"], now=utcnow())
    return full_statement(settled.settlement), 201 if settled.created else 200


@blp.get("/settlements")
@token_required(*READERS)
@blp.arguments(SettlementQueryIn, location="query", as_kwargs=True)
@blp.response(200, SettlementListOut)
@blp.doc(security=[{"bearer": []}])
def index(merchant_id, period):
    """Settlements, newest month first (totals only; open one for its lines). The office
    sees its community's; a shop owner only their own shop's. Clerks get 403."""
    found = settling.list_settlements(db.session, viewer=g.user, merchant_id=merchant_id,
                                      period=period)
    return {"settlements": [settling.statement_of_settlement(db.session, settlement,
                                                             with_lines=False)
                            for settlement in found]}


@blp.get("/settlements/<int:settlement_id>")
@token_required(*READERS)
@blp.response(200, SettlementOut)
@blp.doc(security=[{"bearer": []}])
def show(settlement_id):
    """One statement with every line; another shop's or community's is 404."""
    return full_statement(settling.visible_settlement(db.session, viewer=g.user,
                                                      settlement_id=settlement_id))


@blp.post("/settlements/<int:settlement_id>/paid")
@token_required(*roles.OFFICE_ROLES)
@idempotent
@blp.arguments(PaidIn)
@blp.response(200, SettlementOut)
@blp.doc(security=[{"bearer": []}])
def paid(data, settlement_id):
    """Record that the shop was paid, with the payment's reference: the payable moves to
    paid out, once. The same reference again changes nothing; another reference is 409
    (``settlement_already_paid``); a zero statement is 422 (``nothing_owed``)."""
    settlement = settling.visible_settlement(db.session, viewer=g.user,
                                             settlement_id=settlement_id)
    done = settling.mark_paid(db.session, actor=g.user,
                              community=community_for(g.user, settlement.merchant_id),
                              settlement_id=settlement_id, reference=data["reference"],
                              now=utcnow())
    return full_statement(done)
