"""``GET /api/v1/me/balance`` and ``GET /api/v1/me/statement``: the points a user looks at.

Residents see their own wallet. Shop clerks and owners see their shop's account, because
that is what they run; see ``points.statements``.
"""
from dataclasses import asdict

from flask import g
from flask_babel import gettext

from points import statements
from points.api import Blueprint, token_required
from points.api.wallet_schemas import BalanceOut, StatementOut, StatementQueryIn
from points.auth.roles import WALLET_ROLES
from points.extensions import db
from points.gamification import services as gamification

blp = Blueprint("api_wallet", __name__, url_prefix="/api/v1",
                description="Balance and statement of the signed-in user's points")


@blp.get("/me/balance")
@token_required(*WALLET_ROLES)
@blp.response(200, BalanceOut)
@blp.doc(security=[{"bearer": []}])
def balance():
    """Spendable, held and lifetime-earned points (decimal strings).

    A resident gets their own wallet. A merchant clerk or owner gets their shop's account
    (owner type ``merchant``), not their personal wallet: the shop's points are what they
    run. A user whose account was never opened gets zeros. ``level`` and ``level_name``
    are the signed-in person's own (a clerk's volunteering, never the shop's).
    """
    level = gamification.level_of(db.session, g.user)
    return {**asdict(statements.balance_summary(db.session, g.user)), "level": level.number,
            "level_name": gettext(level.name)}


@blp.get("/me/statement")
@token_required(*WALLET_ROLES)
@blp.arguments(StatementQueryIn, location="query", as_kwargs=True)
@blp.response(200, StatementOut)
@blp.doc(security=[{"bearer": []}])
def statement(limit, cursor):
    """Lines of the same account as ``/me/balance``, newest first, with running balances.

    Pass ``next_cursor`` as ``cursor`` for the next (older) page; pages never overlap and
    do not shift when new lines are posted meanwhile. Descriptions follow Accept-Language.
    """
    lines, last_id = statements.statement_page(db.session, g.user, before=cursor, limit=limit)
    return {"entries": lines, "next_cursor": last_id}
