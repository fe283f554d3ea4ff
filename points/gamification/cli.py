"""``flask --app wsgi gamification refresh [--community CODE] [--after-id N]``: recompute
everyone's standing, monthly tallies, streaks and badges from the credits that stand
(nightly, from cron). Idempotent: running it again awards nothing twice. Each batch is
its own transaction and prints the last person's id, so a run stopped half-way resumes
with ``--community CODE --after-id N``.
"""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from points.communities.models import Community
from points.extensions import db
from points.gamification import services
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
