"""What the staff home page counts: the community, or a grid worker's own grids."""
from points.web.home import staff_summary
from tests.factories import make_community, make_grid, make_household, make_resident, make_user


def test_grid_worker_counts_only_their_own_grids(db):
    community = make_community(db.session)
    own, other = make_grid(db.session, community), make_grid(db.session, community)
    make_resident(db.session, community, household=make_household(db.session, community, own))
    for _ in range(2):
        make_resident(db.session, community, household=make_household(db.session, community, other))
    worker = make_user(db.session, community, "grid_worker", grids=[own])
    staff = make_user(db.session, community, "staff")
    assert staff_summary(db.session, worker) | {"merchants": 0} == {
        "residents": 1, "households": 1, "grids": 1, "merchants": 0}
    assert staff_summary(db.session, staff)["residents"] == 3
    assert staff_summary(db.session, staff)["grids"] == 2


def test_residents_are_people_living_in_a_household_and_the_district_counts_every_community(db):
    first, second = make_community(db.session), make_community(db.session)
    for community in (first, second):
        home = make_household(db.session, community, make_grid(db.session, community))
        make_resident(db.session, community, household=home)
    make_user(db.session, second, "resident", household=None)  # not yet placed in a household
    make_user(db.session, second, "staff")  # staff are not residents
    district = make_user(db.session, None, "district_admin")
    assert staff_summary(db.session, district) | {"merchants": 0} == {
        "residents": 2, "households": 2, "grids": 2, "merchants": 0}
