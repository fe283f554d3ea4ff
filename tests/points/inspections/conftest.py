"""A community with two grids: 红星 with three households (two members in the first),
东街 with one; an office admin and a grid worker of 红星 only."""
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from points.inspections import services
from tests import factories

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 2026-11-20 10:00 in Chengdu
MONTH = "2026-11"
PASS = {"personal": 8, "home": 8, "public": 8}
FAIL = {"personal": 9, "home": 9, "public": 5}


@dataclass
class Town:
    community: object
    red: object
    east: object
    homes: list  # the three households of 红星, by address
    east_home: object
    members: list  # the two residents of homes[0]
    neighbour: object  # the resident of homes[1]
    admin: object
    worker: object


@pytest.fixture
def town(db):
    session = db.session
    community = factories.make_community(session, name="城口社区")
    red = factories.make_grid(session, community, name="红星网格")
    east = factories.make_grid(session, community, name="东街网格")
    homes = [factories.make_household(session, community, red, address)
             for address in ("1栋101", "1栋102", "1栋103")]
    east_home = factories.make_household(session, community, east, "9栋901")
    members = [factories.make_resident(session, community, household=homes[0], name=name)
               for name in ("桂逢春", "桂大春")]
    neighbour = factories.make_resident(session, community, household=homes[1], name="康良翠")
    admin = factories.make_user(session, community, "admin", name="林主任")
    worker = factories.make_user(session, community, "grid_worker", name="刘网格", grids=[red])
    return Town(community, red, east, homes, east_home, members, neighbour, admin, worker)


def score(db, town, entries, *, actor=None, grid=None, month=MONTH, now=NOW):
    """Score ``entries`` ([(household, scores)]) in 红星 (or ``grid``) for the month."""
    return services.score_grid(
        db.session, actor=actor or town.admin, community=town.community,
        grid_id=(grid or town.red).id, month=month, now=now,
        entries=[{"household_id": home.id, **values} for home, values in entries])


def correct(db, town, score_id, values, *, actor=None, reason="复查时发现评错了", **kwargs):
    return services.correct_score(db.session, actor=actor or town.admin,
                                  community=town.community, score_id=score_id, values=values,
                                  reason=reason, now=NOW, **kwargs)
