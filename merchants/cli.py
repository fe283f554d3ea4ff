"""``flask --app wsgi vouchers expire``: void every voucher past its time (run it from
cron every minute; pages and redemption also refuse an expired voucher on their own)."""
import click
from flask.cli import with_appcontext

from merchants import services
from points.extensions import db
from points.timeutil import utcnow


@click.group("vouchers")
def vouchers_group():
    """Vouchers: expire the ones whose time ran out."""


@vouchers_group.command("expire")
@with_appcontext
def expire_command():
    """Expire held vouchers past their time: points and stock go back."""
    count = services.expire_due_vouchers(db.session, now=utcnow())
    click.echo(f"expired {count} vouchers")
