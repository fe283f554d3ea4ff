"""How fast requests are handled: time to publish, to claim and to close, as the median
in whole minutes and the count it was taken over, for the community, per category and
per grid. The staff page, the dashboard and the reports call ``figures``.

Which requests: those received in ``[since, until)``. For each of them, once it got
that far: **to publish** is received → published (merged and declined requests have no
such time); **to claim** is published → the first volunteer's claim (or staff's
assignment); **to close** is received → closed, for tasks closed after a confirmation or
a dispute decision (cancelled tasks are not "closed"). A request still on its way counts
in ``received`` only, and in the times it has reached.
"""
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import aliased

from points.communities.models import Grid
from points.tasks import rules
from points.tasks.models import CATEGORIES, CLOSED, ServiceRequest, Task


@dataclass
class Measure:
    """A median in whole minutes (None when nothing got that far) and its count."""

    median_minutes: int | None
    count: int


@dataclass
class FigureRow:
    key: object  # the category, the grid id (None: no grid), or "all"
    label: str  # a msgid for categories, the grid's name, or ""
    received: int
    to_publish: Measure
    to_claim: Measure
    to_close: Measure


@dataclass
class Figures:
    since: object
    until: object
    overall: FigureRow
    by_category: list[FigureRow] = field(default_factory=list)
    by_grid: list[FigureRow] = field(default_factory=list)


@dataclass
class _Times:
    publish: list = field(default_factory=list)
    claim: list = field(default_factory=list)
    close: list = field(default_factory=list)
    received: int = 0

    def add(self, created_at, published_at, first_claimed_at, closed_at, status):
        self.received += 1
        if published_at is not None:
            self.publish.append(published_at - created_at)
            if first_claimed_at is not None:
                self.claim.append(first_claimed_at - published_at)
            if status == CLOSED and closed_at is not None:
                self.close.append(closed_at - created_at)

    def row(self, key, label):
        def measure(durations):
            return Measure(rules.median_minutes(durations), len(durations))

        return FigureRow(key=key, label=label, received=self.received,
                         to_publish=measure(self.publish), to_claim=measure(self.claim),
                         to_close=measure(self.close))


def figures(session, *, community_id, since, until):
    """The figures of requests received in ``[since, until)`` (aware moments) in the
    community. Categories are listed in their fixed order, every one of them; grids by
    name, only those with requests, then "no grid" if any."""
    task = aliased(Task)
    stmt = (select(ServiceRequest.category, ServiceRequest.grid_id, ServiceRequest.created_at,
                   task.published_at, task.first_claimed_at, task.closed_at, task.status)
            .outerjoin(task, task.request_id == ServiceRequest.id)
            .where(ServiceRequest.community_id == community_id,
                   ServiceRequest.created_at >= since, ServiceRequest.created_at < until))
    overall, categories, grids = _Times(), {key: _Times() for key in CATEGORIES}, {}
    for category, grid_id, *times in session.execute(stmt):
        for bucket in (overall, categories[category], grids.setdefault(grid_id, _Times())):
            bucket.add(*times)
    names = dict(session.execute(select(Grid.id, Grid.name).where(
        Grid.community_id == community_id)).all())
    by_grid = sorted((grids[grid_id].row(grid_id, names.get(grid_id, ""))
                      for grid_id in grids if grid_id is not None), key=lambda row: row.label)
    if None in grids:
        by_grid.append(grids[None].row(None, ""))
    return Figures(since=since, until=until, overall=overall.row("all", ""),
                   by_category=[categories[key].row(key, rules.CATEGORY_LABELS[key])
                                for key in CATEGORIES],
                   by_grid=by_grid)
