"""``flask --app wsgi ledger verify | expire | expiring``: check and maintain the ledger.

``verify`` prints OK or every breach and exits 1 on any (for cron and CI). ``expire`` runs
the expiry of points for every community whose policy has it on; it is safe to run again.
``expiring`` lists who has points expiring soon, for the 30-day warning.
"""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from ledger import expiry
from ledger.amounts import format_amount
from ledger.verify import verify
from points.communities.models import Community
from points.extensions import db
from points.progress import Progress
from points.timeutil import local, utcnow

ledger_group = AppGroup("ledger", help="Check and maintain the points ledger.")

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _as_of(value):
    """The given local date, or today's date in the community's time zone."""
    return value.date() if value else local(utcnow()).date()


def _communities_with_expiry(session):
    stmt = select(Community.id, Community.name).where(Community.points_expire.is_(True))
    return list(session.execute(stmt.order_by(Community.id)))


@ledger_group.command("verify")
def verify_command():
    """Check every ledger invariant; exit 1 on any breach."""
    violations = verify(db.session)
    for violation in violations:
        click.echo(violation)
    if violations:
        raise click.exceptions.Exit(1)
    click.echo("OK")


@ledger_group.command("expire")
@click.option("--as-of", type=_DATE, help="Local date to expire up to (default: today).")
def expire_command(as_of):
    """Expire due points in every community whose policy has expiry on.

    Each account is its own transaction and each expiry has its key, so a run stopped
    midway is simply started again: what was posted is skipped."""
    as_of = _as_of(as_of)
    total_accounts = total_points = 0
    communities = _communities_with_expiry(db.session)
    db.session.rollback()
    with Progress("expiry", len(communities)) as progress:
        for community_id, name in communities:
            posted = expiry.expire_points(db.session, community_id=community_id, as_of=as_of)
            points = sum(p.amount for p in posted)
            accounts = len({p.debit_account_id for p in posted})
            progress.say(f"{name} (#{community_id}): {accounts} 个账户，{format_amount(points)} 积分过期")
            total_accounts, total_points = total_accounts + accounts, total_points + points
            progress.step()
            progress.say(f"expiry: {progress.position()} communities, {total_accounts:,} accounts, "
                         f"{int(total_points):,} points")
    click.echo(f"{as_of}: 共 {total_accounts} 个账户，{format_amount(total_points)} 积分过期")


@ledger_group.command("expiring")
@click.option("--days", type=click.IntRange(min=0), default=30, show_default=True)
@click.option("--as-of", type=_DATE, help="Local date to look ahead from (default: today).")
def expiring_command(days, as_of):
    """List accounts whose points expire within the coming days."""
    as_of = _as_of(as_of)
    found = 0
    for community_id, name in _communities_with_expiry(db.session):
        for item in expiry.expiring_soon(db.session, community_id=community_id, as_of=as_of,
                                         days=days):
            click.echo(f"{name} (#{community_id}) {item.owner_type}:{item.owner_id} "
                       f"account {item.account_id}: {format_amount(item.amount)} 积分 "
                       f"{item.deadline} 到期")
            found += 1
    click.echo(f"{found} 个账户的积分将在 {days} 天内到期")
