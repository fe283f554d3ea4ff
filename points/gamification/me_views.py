"""The resident's own pages: badges and the statement; staff print member cards for a grid.

- 我的徽章 (``/me/badges``): badges earned (when, and what earned them) and the ones still
  locked, with how far the person is.
- 积分明细 (``/me/statement``): every line of the person's wallet in plain words, by month
  and kind, 20 at a time. Shop staff who volunteer see their personal wallet here, the
  one their home page and badges count; their shop's account is on the shop's pages.
- 打印会员卡 (``/staff/cards?grid=<id>``): every card of a grid on A4 sheets; cards missing
  are issued for the whole grid in one go first.

A 亲情代理 proxy acting for a resident sees the resident's badges and statement.
"""
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from points import statements, wallets
from points.activities import checkin
from points.auth import roles
from points.codes import display
from points.errors import translated
from points.extensions import db
from points.gamification.services import award_credits, progress_of
from points.residents import services as resident_services
from points.residents.forms import ButtonForm
from points.residents.rules import REGISTRAR_ROLES
from points.residents.switching import current_acting
from points.residents.views import in_community
from points.timeutil import local, utcnow
from points.web.access import require_role

bp = Blueprint("me", __name__)

STATEMENT_PAGE = 20
wallet_holders = require_role(*roles.WALLET_ROLES)
registrars = require_role(*REGISTRAR_ROLES)


@bp.app_template_filter("plain_number")
def figure(value):
    """A Decimal without trailing zeros: 12.5 hours, 100 points."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return f"{value.normalize():f}"


@bp.app_template_filter("signed_points")
def signed(amount):
    """A points amount with its sign: +20, −100 (a real minus sign)."""
    amount = Decimal(amount)
    return f"+{figure(amount)}" if amount > 0 else f"\u2212{figure(-amount)}"


@bp.app_template_filter("local_time")
def local_time(moment, pattern="%Y-%m-%d %H:%M"):
    """An aware UTC moment as the community's local time (Asia/Shanghai)."""
    return local(moment).strftime(pattern) if moment else ""


# --- 我的徽章 -------------------------------------------------------------------------------

@bp.get("/me/badges")
@wallet_holders
def badges():
    acting = current_acting(db.session, current_user)
    progress = progress_of(db.session, acting.resident, utcnow())
    earned = progress.newest
    return render_template("resident/badges.html", acting=acting, person=acting.resident,
                           progress=progress, earned=earned,
                           locked=[o for o in progress.outcomes if o.badge.code not in progress.awards],
                           credits=award_credits(db.session, progress.awards.values()),
                           local=local)


# --- 积分明细 -------------------------------------------------------------------------------

@bp.get("/me/statement")
@wallet_holders
def statement():
    acting = current_acting(db.session, current_user)
    now = utcnow()
    page = {"acting": acting, "person": acting.resident, "groups": statements.KIND_GROUPS,
            "local": local, "lines": [], "next_before": None}
    try:
        filters = statements.parse_filters(request.args.get("month"), request.args.get("kind"),
                                           request.args.get("before"))
    except statements.StatementFilterError as error:
        return render_template("resident/statement.html", filters=statements.Filters(),
                               months=statements.recent_months(now), error=translated(error),
                               **page), 422
    since, until = filters.moments
    lines, next_before = statements.account_page(
        db.session, wallets.find_wallet(db.session, acting.resident), before=filters.before,
        limit=STATEMENT_PAGE, kinds=filters.kinds, since=since, until=until)
    offered = statements.recent_months(now)
    if filters.month and filters.month not in offered:
        offered.append(filters.month)
    page.update(lines=lines, next_before=next_before)
    return render_template("resident/statement.html", filters=filters, months=offered, **page)


# --- 打印会员卡 -----------------------------------------------------------------------------

@bp.get("/staff/cards")
@registrars
@in_community
def cards(community):
    grid = request.args.get("grid", "").strip()
    if not grid:
        grids = resident_services.grids_in_reach(db.session, actor=current_user, community=community)
        return render_template("staff/cards_print.html", sheet=None, grids=grids, community=community)
    if not grid.isascii() or not grid.isdigit() or len(grid) > 9:
        abort(404)
    sheet = checkin.grid_cards(db.session, actor=current_user, community=community, grid_id=int(grid))
    return render_template("staff/cards_print.html", sheet=sheet, community=community,
                           button=ButtonForm(), display=display)


@bp.post("/staff/cards/<int:grid_id>/issue")
@registrars
@in_community
def issue_cards(community, grid_id):
    form = ButtonForm()
    if form.validate_on_submit():
        count = checkin.issue_grid_cards(db.session, actor=current_user, community=community,
                                         grid_id=grid_id, now=utcnow())
        if count:
            flash(_("已为 %(count)s 位居民补发会员卡", count=count), "success")
        else:
            flash(_("本网格每位居民都已有会员卡"), "info")
    return redirect(url_for("me.cards", grid=grid_id))
