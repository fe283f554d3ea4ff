"""The district's figures, stored: every community summed takes seconds at county scale
(bench/reports.py: about 15 s for 200 communities and 10 M ledger entries), so a cron job
(``flask --app wsgi reports refresh``, every 15 minutes) computes them for this month and
the last one, and once for each older month of the last year, and the district's pages
read the stored copy, saying when it was computed.

A stored copy is the exact ``district.district_summary`` of its period at ``computed_at``;
a period without one is computed on the spot. Community and grid figures are live (tens
of milliseconds at county scale), their closed months read from ``closed_months``, which
the same job fills.
"""
from dataclasses import asdict, fields, replace
from datetime import datetime
from decimal import Decimal

import click
from flask.cli import AppGroup
from sqlalchemy import JSON, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from ledger.models import Base, BigId, utcnow
from points import months
from points.audit.rules import jsonable
from points.extensions import db, unit_of_work
from points.reports import closed_months, district, figures
from points.timeutil import utcnow as now_utc

DISTRICT = "district"
DECIMALS = {"issued", "redeemed", "expired", "outstanding", "outstanding_cny", "fund_balance"}


class ReportSnapshot(Base):
    """The figures of ``scope`` for ``[since, until)`` as computed at ``computed_at``."""

    __tablename__ = "report_snapshots"
    __table_args__ = (UniqueConstraint("scope", "since", "until", name="uq_report_snapshots_period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    since: Mapped[datetime] = mapped_column()
    until: Mapped[datetime] = mapped_column()
    payload: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


def to_payload(summary):
    data = asdict(summary)
    for name in ("since", "until", "computed_at"):
        data.pop(name)
    return jsonable(data)


def from_payload(payload, *, since, until):
    data = dict(payload)
    for name in DECIMALS:
        data[name] = Decimal(data[name])
    data["series"] = [figures.MonthFigures(row["month"], Decimal(row["issued"]), Decimal(row["redeemed"]))
                      for row in data["series"]]
    for split in ("activities", "shops"):
        data[split] = [figures.Share(row["key"], row["name"], row["count"], Decimal(row["points"]))
                       for row in data[split]]
    known = {item.name for item in fields(figures.Summary)}
    return figures.Summary(since=since, until=until, **{k: v for k, v in data.items() if k in known})


def _stored(session, since, until):
    return session.scalar(select(ReportSnapshot).where(
        ReportSnapshot.scope == DISTRICT, ReportSnapshot.since == since, ReportSnapshot.until == until))


def refresh(session, *, since, until, now):
    """Compute the district's figures of ``[since, until)`` and store them (replacing)."""
    summary = district.district_summary(session, since=since, until=until, now=now)
    with unit_of_work(session):
        snapshot = _stored(session, since, until)
        if snapshot is None:
            snapshot = ReportSnapshot(scope=DISTRICT, since=since, until=until, payload={})
            session.add(snapshot)
        snapshot.payload = to_payload(summary)
        snapshot.computed_at = now
    return summary


def district_figures(session, *, since, until, now):
    """The stored figures of the period (``computed_at`` set) when there are some, else
    computed now (``computed_at`` None)."""
    snapshot = _stored(session, since, until)
    if snapshot is None:
        return district.district_summary(session, since=since, until=until, now=now)
    return replace(from_payload(snapshot.payload, since=since, until=until),
                   computed_at=snapshot.computed_at)


reports_group = AppGroup("reports", help="The stored figures: the district's, and closed months'.")


def months_back(now, count):
    """``(since, until)`` of this month and the ``count - 1`` months before it, newest first."""
    day, periods = months.this_month(now), []
    for _ in range(count):
        periods.append(months.moments_of(day))
        day = months.preceding(day)
    return periods


@reports_group.command("refresh")
@click.option("--months", "count", type=click.IntRange(min=2, max=120), default=13, show_default=True,
              help="how many months back the dashboard's month picker is served from stored figures")
def refresh_command(count):
    """Compute and store the district's figures: this month and last month always, older
    months only when missing (they no longer change), so that the district's pages read a
    stored copy for every month of the last year; then every community's and grid's
    closed months that are not stored yet (``closed_months``)."""
    now = now_utc()
    for number, (since, until) in enumerate(months_back(now, count)):
        if number >= 2 and _stored(db.session, since, until) is not None:
            continue
        summary = refresh(db.session, since=since, until=until, now=now)
        click.echo(f"{months.month_of(since)}: issued {summary.issued}, redeemed {summary.redeemed}, "
                   f"{summary.residents} residents")
    added = figures.store_closed_months(db.session, now=now)
    click.echo(f"closed months stored for the communities and grids: {added} new")


@reports_group.command("check-months")
def check_months_command():
    """Recompute every stored closed month from the ledger. Exits 1 when a community's
    row differs; a grid's row that differs is listed as a move (a household changed grid
    after the row was stored, see ``closed_months``)."""
    faults = 0
    checked, differences = figures.check_closed_months(db.session)
    for found in differences:
        what = "moved" if found.grid_id != closed_months.WHOLE else "DIFFERS"
        faults += what == "DIFFERS"
        click.echo(f"{what}: community {found.community_id} grid {found.grid_id} {found.month}: "
                   f"stored {found.stored}, ledger {found.recomputed}")
    click.echo(f"{checked} stored months checked, {faults} differ")
    if faults:
        raise SystemExit(1)
