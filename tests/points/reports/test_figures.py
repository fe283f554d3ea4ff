"""The summary figures, reconciled with the ledger's rows and accounts."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import ledger
from ledger.models import Account, Transfer
from ledger.verify import verify
from points import months
from points.claims import approvals
from points.reports import access, figures
from points.reports.district import district_summary
from points.reports.errors import BadPeriodError
from points.timeutil import utcnow
from tests import factories
from tests.points.claims.conftest import file_claim
from tests.points.reports.conftest import seed

D = Decimal


def sum_kind(session, community, kind, since, until):
    return D(session.scalar(select(func.coalesce(func.sum(Transfer.amount), 0)).where(
        Transfer.community_id == community.id, Transfer.kind == kind, Transfer.ledger == ledger.POINTS,
        Transfer.created_at >= since, Transfer.created_at < until)))


def test_the_figures_match_the_hand_count_and_the_ledger(session):
    s = seed(session)
    found = figures.summary(session, community_id=s.community.id, since=s.since, until=s.until,
                            now=s.now)
    assert (found.issued, found.redeemed, found.expired) == (D(160), D(20), D(40))
    assert found.outstanding == D(140)
    assert found.outstanding_cny == D("2.80")
    assert found.fund_balance == D("1000.00")
    assert found.coverage == D("357.1429")
    assert (found.residents, found.active_residents, found.participation) == (4, 2, D("0.5000"))
    assert (found.households, found.households_this_year) == (3, 2)
    assert found.household_participation == D("0.6667")
    assert (found.approvals_waiting, found.decided_30_days, found.median_decision_minutes) == (0, 0, None)

    # Against the transfer rows by kind.
    kinds = {kind: sum_kind(session, s.community, kind, s.since, s.until)
             for kind in ("earn", "grant", "coupon", "reverse", "redeem", "refund", "expire",
                          "coupon_expire")}
    assert found.issued == kinds["earn"] + kinds["grant"] + kinds["coupon"] - kinds["reverse"]
    assert found.redeemed == kinds["redeem"] - kinds["refund"]
    assert found.expired == kinds["expire"] + kinds["coupon_expire"]
    assert kinds["coupon"] == D(5)
    # Outstanding: what every other account of the community is short of (double entry;
    # the escrow balance is the residents' held points).
    others = D(session.scalar(select(func.sum(Account.balance)).where(
        Account.community_id == s.community.id, Account.ledger == ledger.POINTS,
        Account.owner_type.not_in(figures.HOLDERS), Account.purpose != "escrow")))
    assert found.outstanding == -others
    # All time: what went out less what came back is what is outstanding.
    ever = figures.summary(session, community_id=s.community.id, since=s.now - timedelta(days=3000),
                           until=s.until, now=s.now)
    assert ever.issued - ever.redeemed - ever.expired == ever.outstanding
    assert verify(session) == []


def test_the_monthly_series_ends_with_this_month(session):
    s = seed(session)
    found = figures.summary(session, community_id=s.community.id, since=s.since, until=s.until,
                            now=s.now)
    assert len(found.series) == 12
    assert found.series[-1].month == months.month_of(s.now)
    assert (found.series[-1].issued, found.series[-1].redeemed) == (D(160), D(20))
    assert all(m.issued == 0 and m.redeemed == 0 for m in found.series[:-1])
    first = months.this_month(s.now)
    for _ in range(11):
        first = months.preceding(first)
    assert found.series[0].month == months.month_of(first)


def test_grids_sum_to_the_community(session):
    s = seed(session)
    whole = figures.summary(session, community_id=s.community.id, since=s.since, until=s.until,
                            now=s.now)
    parts = [figures.summary(session, community_id=s.community.id, since=s.since, until=s.until,
                             grid_id=grid.id, now=s.now) for grid in (s.grid1, s.grid2)]
    assert [(p.issued, p.redeemed, p.expired, p.outstanding) for p in parts] == [
        (D(45), D(20), D(40), D(25)), (D(115), D(0), D(0), D(115))]
    for name in ("issued", "redeemed", "expired", "outstanding", "residents", "active_residents",
                 "households", "households_this_year"):
        assert sum(getattr(p, name) for p in parts) == getattr(whole, name), name
    for index in range(12):
        assert sum(p.series[index].issued for p in parts) == whole.series[index].issued
    # Community-wide figures whatever the grid.
    assert all(p.fund_balance == whole.fund_balance for p in parts)


def test_another_communitys_rows_never_count(session):
    s = seed(session)
    other = figures.summary(session, community_id=s.other.id, since=s.since, until=s.until, now=s.now)
    assert (other.issued, other.redeemed, other.outstanding) == (D(525), D(70), D(455))
    assert other.fund_balance == D("300.00")
    assert (other.residents, other.households) == (1, 1)
    district = district_summary(session, since=s.since, until=s.until, now=s.now)
    mine = figures.summary(session, community_id=s.community.id, since=s.since, until=s.until,
                           now=s.now)
    for name in ("issued", "redeemed", "outstanding", "outstanding_cny", "fund_balance", "residents"):
        assert getattr(district, name) == getattr(mine, name) + getattr(other, name), name
    assert district.series[-1].issued == D(160 + 525)


def test_an_empty_community_has_null_ratios(session):
    community = factories.make_community(session)
    now = utcnow()
    since, until = months.moments_of(months.this_month(now))
    found = figures.summary(session, community_id=community.id, since=since, until=until, now=now)
    assert (found.issued, found.outstanding, found.fund_balance) == (0, 0, 0)
    assert found.coverage is None and found.participation is None
    assert found.household_participation is None


def test_pending_claims_and_decision_times_count(db, tmp_path):
    session = db.session
    community = factories.make_community(session)
    staff = factories.make_user(session, community, "staff")
    kind = factories.make_activity_type(session, community)
    now = utcnow()
    people = [factories.make_resident(session, community) for _ in range(3)]
    claims = [file_claim(db, tmp_path, person, kind, now=now - timedelta(hours=1)) for person in people]
    approvals.reject_claim(session, actor=staff, community=community, claim_id=claims[0].id,
                           reason="照片看不清", now=now - timedelta(minutes=50))
    approvals.reject_claim(session, actor=staff, community=community, claim_id=claims[1].id,
                           reason="照片看不清", now=now - timedelta(minutes=30))
    since, until = months.moments_of(months.this_month(now))
    found = figures.summary(session, community_id=community.id, since=since, until=until, now=now)
    assert (found.approvals_waiting, found.decided_30_days, found.median_decision_minutes) == (1, 2, 20)


@pytest.mark.parametrize("kwargs", [
    {"month": "2026-13"}, {"month": "26-01"}, {"month": "2026-01", "since": "x"},
    {"since": months.first_day("2026-01")}, {"until": months.first_day("2026-01")},
    {"since": months.first_day("2026-02"), "until": months.first_day("2026-01")},
    {"since": months.first_day("2024-01"), "until": months.first_day("2026-01")},
])
def test_bad_periods_are_refused(kwargs):
    with pytest.raises(BadPeriodError):
        access.period_of(now=utcnow(), **kwargs)


def test_a_month_is_its_local_moments():
    first = months.first_day("2026-03")
    assert access.period_of(month="2026-03", now=utcnow()) == months.moments_of(first)
    assert access.period_of(since=first, until=months.following(first), now=utcnow()) == \
        months.moments_of(first)


def test_activity_types_and_shops_split_earned_and_redeemed(session):
    s = seed(session)
    found = figures.summary(session, community_id=s.community.id, since=s.since, until=s.until,
                            now=s.now)
    # Three credits of their own types (30, 20 reversed, 10); the reversed type nets to 0.
    assert [(share.count, share.points) for share in found.activities] == [(1, D(30)), (1, D(10)), (0, D(0))]
    assert all(share.name for share in found.activities)
    earned = (sum_kind(session, s.community, "earn", s.since, s.until)
              - sum_kind(session, s.community, "reverse", s.since, s.until))
    assert sum((share.points for share in found.activities), D(0)) == earned
    # Two redemptions at the shop, one refunded.
    assert [(share.key, share.name, share.count, share.points) for share in found.shops] == [
        (s.merchant.id, s.merchant.name, 1, D(20))]
    assert sum((share.points for share in found.shops), D(0)) == found.redeemed
    # Per grid the shares follow the holder: grid 1 has r1's 30 and r4's 10 and r1's 20 redeemed.
    grid = figures.summary(session, community_id=s.community.id, since=s.since, until=s.until,
                           grid_id=s.grid1.id, now=s.now)
    assert sorted(share.points for share in grid.activities) == [D(10), D(30)]
    assert [(share.count, share.points) for share in grid.shops] == [(1, D(20))]
    district = district_summary(session, since=s.since, until=s.until, now=s.now)
    assert sum((share.points for share in district.shops), D(0)) == district.redeemed
    # A district keeps shops' names (and a key); only the store and inspections rows have none.
    assert all(share.key is not None and share.name for share in district.shops)
