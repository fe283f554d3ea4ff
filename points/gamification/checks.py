"""Whether the cached game figures equal the credits that stand (``flask --app wsgi
gamification check``).

Boards read ``Standing`` and ``MonthlyTally`` instead of the credits (``boards``), so these
rows are checked against the credits they are kept from, one community at a time:

* **Kept with every credit** (``refresh_person`` runs in the same transaction as each
  credit and reversal): a standing's points, credits, hours, latest month with work and
  best streak, its score as its own points less its expired points, and every tally (one
  row a person and month with work). Any difference is a fault.
* **Kept by the nightly refresh** (``gamification refresh``): the points expiry took
  (``expired``, which the expiry job does not write) and the current streak, which ends
  when a month passes without work. These are reported as behind, not as faults, until
  the night after.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import extract, func, select

from ledger.models import Account, Transfer
from points import months, wallets
from points.earning.models import Credit
from points.gamification import rules
from points.gamification.models import MonthlyTally, Standing
from points.gamification.services import EXPIRE_KIND

ZERO = Decimal(0)


@dataclass(frozen=True)
class Difference:
    user_id: int
    what: str  # "standing", "tally YYYY-MM" or "behind"
    stored: tuple
    counted: tuple

    @property
    def fault(self):
        return self.what != "behind"


def _counted(session, community_id):
    """``{user: {month: (points, credits, hours)}}`` of the community's credits that stand."""
    year, month = extract("year", Credit.work_day), extract("month", Credit.work_day)
    found = defaultdict(dict)
    for user_id, y, m, points, count, hours in session.execute(
            select(Credit.user_id, year, month, func.sum(Credit.points), func.count(),
                   func.sum(func.coalesce(Credit.hours, 0)))
            .where(Credit.community_id == community_id, Credit.reversed_at.is_(None))
            .group_by(Credit.user_id, year, month)
            .execution_options(all_communities=True)):
        found[user_id][months.month_of(date(int(y), int(m), 1))] = (Decimal(points), count, Decimal(hours))
    return found


def _expired(session, community_id):
    """``{user: points expiry took from their wallet}``."""
    return {user_id: Decimal(total) for user_id, total in session.execute(
        select(Account.owner_id, func.sum(Transfer.amount))
        .join(Transfer, Transfer.debit_account_id == Account.id)
        .where(Account.community_id == community_id, Account.owner_type == wallets.RESIDENT,
               Transfer.kind == EXPIRE_KIND)
        .group_by(Account.owner_id))}


def check_community(session, community_id, now):
    """The community's ``Difference`` list: empty when every standing and tally equals
    the credits that stand."""
    counted = _counted(session, community_id)
    return (_tally_differences(session, community_id, counted)
            + _standing_differences(session, community_id, counted, months.month_of(now)))


def _tally_differences(session, community_id, counted):
    tallies = defaultdict(dict)
    for user_id, month, points, count in session.execute(
            select(MonthlyTally.user_id, MonthlyTally.month, MonthlyTally.points, MonthlyTally.credits)
            .where(MonthlyTally.community_id == community_id).execution_options(all_communities=True)):
        tallies[user_id][month] = (points, count)
    differences = []
    for user_id in sorted(set(tallies) | set(counted)):
        kept, by_month = tallies.get(user_id, {}), counted.get(user_id, {})
        for month in sorted(set(kept) | set(by_month)):
            again = by_month.get(month, (ZERO, 0, ZERO))[:2]
            if kept.get(month, (ZERO, 0)) != again:
                differences.append(Difference(user_id, f"tally {month}", kept.get(month), again))
    return differences


def _standing_differences(session, community_id, counted, this_month):
    expired = _expired(session, community_id)
    standings = {row.user_id: row for row in session.scalars(
        select(Standing).where(Standing.community_id == community_id)
        .execution_options(all_communities=True))}
    differences = []
    for user_id in sorted(set(standings) | set(counted)):
        row, by_month = standings.get(user_id), counted.get(user_id, {})
        current, best = rules.streaks(by_month, this_month)
        worked = by_month.values()
        again = (sum((month[0] for month in worked), ZERO), sum(month[1] for month in worked),
                 sum((month[2] for month in worked), ZERO), max(by_month, default=None), best)
        if row is None:
            differences.append(Difference(user_id, "standing", None, again))
            continue
        stored = (row.points, row.credits, row.hours, row.last_month, row.best_streak)
        score = max(row.points - row.expired, ZERO)
        if stored != again or row.score != score:
            differences.append(Difference(user_id, "standing", (*stored, row.score), (*again, score)))
        elif (row.expired, row.current_streak) != (expired.get(user_id, ZERO), current):
            differences.append(Difference(user_id, "behind", (row.expired, row.current_streak),
                                          (expired.get(user_id, ZERO), current)))
    return differences
