"""``flask --app wsgi gamification refresh [--community CODE] [--after-id N]``: recompute
everyone's standing, monthly tallies, streaks and badges from the credits that stand
(nightly, from cron). Idempotent: running it again awards nothing twice. Each batch is
its own transaction and prints the last person's id, so a run stopped half-way resumes
with ``--community CODE --after-id N``.

``flask --app wsgi gamification check [--community CODE]``: compare every standing and
monthly tally with the credits that stand (``checks``); exits 1 on a difference.
"""
from decimal import Decimal

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ledger import format_amount
from points.communities.models import Community
from points.extensions import db
from points.gamification import checks, services
from points.progress import Progress
from points.timeutil import utcnow

gamification_group = AppGroup("gamification", help="Levels, badges and leaderboards.")


def communities_to_refresh(session, code):
    """The community with ``code``, or every community (by id); UsageError if unknown."""
    stmt = select(Community).order_by(Community.id)
    if code is not None:
        stmt = stmt.where(Community.code == code)
    found = list(session.scalars(stmt))
    if code is not None and not found:
        raise click.UsageError(f"没有代码为 {code} 的社区")
    return found


@gamification_group.command("refresh")
@click.option("--community", "code", help="Only the community with this code (default: all).")
@click.option("--after-id", type=click.IntRange(min=0), default=0, show_default=True,
              help="Resume after this user id (the last one printed); needs --community.")
@click.option("--batch", type=click.IntRange(min=1, max=5000), default=200, show_default=True,
              help="People per transaction.")
def refresh_command(code, after_id, batch):
    """Recompute standings, tallies and badges of every person with anything to count."""
    if after_id and code is None:
        raise click.UsageError("--after-id 只能和 --community 一起用（编号是某个社区里的进度）")
    now = utcnow()
    total_people = total_badges = 0
    communities = [(c.id, c.name, c.code) for c in communities_to_refresh(db.session, code)]
    db.session.rollback()
    with Progress("gamification", len(communities)) as progress:
        for community_id, name, community_code in communities:

            def report(people, last_id, name=name, community_code=community_code):
                progress.say(f"{name} ({community_code}): 已更新 {people} 人，最后编号 {last_id}")

            people, badges = services.refresh_community(db.session, community_id, now=now,
                                                        after_id=after_id, batch=batch,
                                                        progress=report)
            total_people, total_badges = total_people + people, total_badges + badges
            progress.step()
            progress.say(f"{name} ({community_code}): 共 {people} 人，新徽章 {badges} 枚")
            progress.say(f"gamification: {progress.position()} communities, "
                         f"{total_people:,} people, {total_badges:,} new badges")
    click.echo(f"完成：共更新 {total_people} 人，新徽章 {total_badges} 枚")


def _shown(values):
    if values is None:
        return "none"
    return "(" + ", ".join(format_amount(v) if isinstance(v, Decimal) else str(v) for v in values) + ")"


@gamification_group.command("check")
@click.option("--community", "code", help="Only the community with this code (default: all).")
def check_command(code):
    """Compare standings and monthly tallies with the credits that stand (reads only)."""
    now = utcnow()
    faults = behind = 0
    communities = [(c.id, c.name, c.code) for c in communities_to_refresh(db.session, code)]
    with Progress("gamification check", len(communities)) as progress:
        for community_id, name, community_code in communities:
            found = checks.check_community(db.session, community_id, now)
            db.session.rollback()
            for difference in found:
                if difference.fault:
                    click.echo(f"DIFFERS: {name} ({community_code}) user {difference.user_id} "
                               f"{difference.what}: stored {_shown(difference.stored)}, "
                               f"credits {_shown(difference.counted)}")
            faults += sum(difference.fault for difference in found)
            behind += sum(not difference.fault for difference in found)
            progress.step()
            progress.say(f"gamification check: {progress.position()} communities, {faults} differ")
    click.echo(f"{len(communities)} 个社区已核对：{faults} 处与积分记录不符，"
               f"{behind} 人的过期积分或连续月数待夜间更新")
    if faults:
        raise SystemExit(1)
