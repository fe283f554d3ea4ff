"""``flask --app wsgi settlements run --month YYYY-MM``: settle the month of every shop, in
every community, that has redemptions of that month not yet on a statement.

Each shop is ``settlement.settle_merchant``, one transaction, in the name of the
community's office staff (``fund.office_staff``); a settlement is unique per shop and
month and its ledger transfers have their keys, so a run stopped midway is simply started
again: shops with a settlement of the month are not even visited. A shop
the fund cannot pay for is refused (nothing moves), reported, and the run goes on; the
command then exits 1, so cron tells someone.
"""
import click
from flask.cli import AppGroup
from sqlalchemy import select

import ledger
from merchants import settlement as settling
from merchants.errors import MerchantError
from merchants.fund import office_staff
from merchants.models import REDEEMED, REFUNDED, Merchant, Settlement, Voucher
from points.communities.models import Community
from points.extensions import db
from points.progress import Progress
from points.timeutil import utcnow

settlements_group = AppGroup("settlements", help="Monthly settlement of partner shops.")


def shops_to_settle(session, period):
    """``[(community_id, merchant_id)]`` of shops with redemptions of ``period`` on no
    statement yet and no settlement of the month, by community and shop."""
    start, end = settling.period_bounds(period)
    settled = select(Settlement.id).where(Settlement.merchant_id == Merchant.id,
                                          Settlement.period == period)
    stmt = (select(Merchant.community_id, Merchant.id).distinct()
            .join(Voucher, Voucher.merchant_id == Merchant.id)
            .where(Voucher.redeemed_at >= start, Voucher.redeemed_at < end,
                   Voucher.status.in_((REDEEMED, REFUNDED)), Voucher.settlement_id.is_(None),
                   ~settled.exists())
            .order_by(Merchant.community_id, Merchant.id))
    return [tuple(row) for row in session.execute(stmt)]


@settlements_group.command("run")
@click.option("--month", "period", required=True, help="YYYY-MM, a month that has ended.")
def run_command(period):
    """Settle the month of every shop with unsettled redemptions in it."""
    now = utcnow()
    try:
        settling.parse_period(period)
        settling.ensure_period_ended(period, now)
    except MerchantError as error:
        raise click.ClickException(str(error)) from None
    shops = shops_to_settle(db.session, period)
    communities = {community.id: community for community in db.session.scalars(
        select(Community).where(Community.id.in_({c for c, _ in shops})))}
    actors = {c: office_staff(db.session, c) for c in communities}
    db.session.rollback()
    settled = refused = vouchers = 0
    points = yuan = ledger.ZERO
    with Progress("settlements", len(shops)) as progress:
        for community_id, merchant_id in shops:
            community, actor = communities[community_id], actors[community_id]
            progress.step()
            if actor is None:
                refused += 1
                progress.say(f"{community.name}: shop {merchant_id} not settled: "
                             "the community has no office staff")
                continue
            try:
                done = settling.settle_merchant(db.session, actor=actor, community=community,
                                                merchant_id=merchant_id, period=period,
                                                now=utcnow())
            except MerchantError as error:
                db.session.rollback()
                refused += 1
                progress.say(f"{community.name}: shop {merchant_id} not settled: {error}")
                continue
            if done.created:
                statement = done.settlement
                settled, vouchers = settled + 1, vouchers + statement.voucher_count
                points, yuan = points + statement.points, yuan + statement.amount_cny
            if progress.done % 50 == 0 or progress.done == len(shops):
                progress.say(f"settlements {period}: {progress.position()} shops, {settled:,} "
                             f"settled, {refused} refused, {vouchers:,} vouchers, "
                             f"{int(points):,} points, ¥{ledger.format_amount(yuan, ledger.CNY)}")
    click.echo(f"{period}: settled {settled} shops ({vouchers} vouchers, "
               f"{ledger.format_amount(points)} points, "
               f"¥{ledger.format_amount(yuan, ledger.CNY)}), refused {refused}")
    if refused:
        raise click.exceptions.Exit(1)
