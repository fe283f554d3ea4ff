"""Filing a claim: what it must hold, what points it asks, the caps at filing, proxies,
photos stored cleanly or not at all, and duplicates flagged."""
from datetime import timedelta
from decimal import Decimal

import pytest

from points.claims import services
from points.claims.errors import (ClaimNotFoundError, ClaimTypeUnknownError,
                                  DescriptionMissingError, DescriptionTooLongError,
                                  HoursInvalidError, LocationMissingError, PhotoNotImageError,
                                  PhotoRequiredError, PhotoTooLargeError, TooManyPhotosError,
                                  WorkDayInFutureError, WorkDayMissingError, WorkDayTooOldError)
from points.claims.models import PENDING, Claim
from points.earning import services as earning
from points.earning.errors import DailyCapReachedError, HoursRequiredError, MonthlyCapReachedError
from points.errors import ForbiddenError
from points.extensions import unit_of_work
from points.residents import services as residents
from points.residents.acting import acting_as_self, acting_for
from tests import factories
from tests.points.claims.conftest import NOW, TODAY, file_claim, nothing_moved, photo_bytes


def test_a_resident_files_a_claim_and_it_waits_for_staff(db, place, upload_dir):
    claim = file_claim(db, upload_dir, place.resident, place.cleaning, hours="2.5")

    assert claim.status == PENDING and claim.points is None and claim.credit_id is None
    assert claim.points_asked == Decimal("25")  # 2.5 h at 10 an hour
    assert (claim.user_id, claim.filed_by_id) == (place.resident.id, place.resident.id)
    assert claim.household_id == place.resident.household_id and claim.grid_id == place.grid.id
    assert claim.work_day == TODAY and claim.created_at == NOW
    [photo] = claim.photos
    assert photo.position == 1 and photo.duplicate_of_claim_id is None
    assert (upload_dir / photo.storage_key).read_bytes()[:2] == b"\xff\xd8"


def test_per_participation_points_ignore_hours(db, place, upload_dir):
    claim = file_claim(db, upload_dir, place.resident, place.mediation, hours="")

    assert claim.points_asked == Decimal("20") and claim.hours is None and claim.photos == []


def test_per_hour_points_are_rounded_down_to_whole_points(db, place, upload_dir):
    assert file_claim(db, upload_dir, place.resident, place.cleaning,
                      hours="1.25").points_asked == Decimal("12")


@pytest.mark.parametrize("hours, error", [
    ("", HoursRequiredError), (None, HoursRequiredError), ("0", HoursInvalidError),
    ("-1", HoursInvalidError), ("24.5", HoursInvalidError), ("1.234", HoursInvalidError),
    ("abc", HoursInvalidError), ("NaN", HoursInvalidError), ("Infinity", HoursInvalidError),
])
def test_hours_are_required_for_per_hour_work_and_must_make_sense(db, place, upload_dir, hours, error):
    with pytest.raises(error):
        file_claim(db, upload_dir, place.resident, place.cleaning, hours=hours)
    nothing_moved(db.session, upload_dir)


def test_24_hours_is_the_most_a_day_holds(db, place, upload_dir):
    assert file_claim(db, upload_dir, place.resident, place.mediation,
                      hours="24").hours == Decimal("24")


@pytest.mark.parametrize("work_day, error", [
    (TODAY + timedelta(days=1), WorkDayInFutureError),
    (TODAY - timedelta(days=31), WorkDayTooOldError),
    (None, WorkDayMissingError),
])
def test_work_in_the_future_or_over_30_days_ago_is_refused(db, place, upload_dir, work_day, error):
    with pytest.raises(error):
        file_claim(db, upload_dir, place.resident, place.cleaning, work_day=work_day)
    nothing_moved(db.session, upload_dir)


def test_work_exactly_30_days_ago_may_be_filed(db, place, upload_dir):
    day = TODAY - timedelta(days=30)
    assert file_claim(db, upload_dir, place.resident, place.mediation, work_day=day).work_day == day


def test_the_local_day_decides_what_is_the_future(db, place, upload_dir):
    # 23:30 UTC on the 19th is already 07:30 on the 20th in Chengdu.
    late_evening_utc = NOW - timedelta(hours=2, minutes=30)
    claim = file_claim(db, upload_dir, place.resident, place.mediation, now=late_evening_utc)
    assert claim.work_day == TODAY


@pytest.mark.parametrize("description, error", [
    ("", DescriptionMissingError), ("   \n  ", DescriptionMissingError),
    ("扫" * 501, DescriptionTooLongError),
])
def test_a_description_is_required_and_limited(db, place, upload_dir, description, error):
    with pytest.raises(error):
        file_claim(db, upload_dir, place.resident, place.mediation, description=description)
    nothing_moved(db.session, upload_dir)


def test_the_description_keeps_its_lines_but_not_stray_spaces(db, place, upload_dir):
    claim = file_claim(db, upload_dir, place.resident, place.mediation,
                       description="  调解了邻里纠纷   \n\n  双方握手言和 ")
    assert claim.description == "调解了邻里纠纷\n双方握手言和"


def test_a_hazard_report_needs_a_place(db, place, upload_dir):
    with pytest.raises(LocationMissingError):
        file_claim(db, upload_dir, place.resident, place.hazard, location="  ")
    nothing_moved(db.session, upload_dir)

    claim = file_claim(db, upload_dir, place.resident, place.hazard, location="北新街12号井盖松动")
    assert claim.location == "北新街12号井盖松动" and claim.points_asked == Decimal("5")


def test_a_type_that_needs_a_photo_refuses_a_claim_without_one(db, place, upload_dir):
    with pytest.raises(PhotoRequiredError):
        file_claim(db, upload_dir, place.resident, place.cleaning, photos=[])
    nothing_moved(db.session, upload_dir)


def test_four_photos_are_refused_and_nothing_is_stored(db, place, upload_dir):
    with pytest.raises(TooManyPhotosError):
        file_claim(db, upload_dir, place.resident, place.cleaning,
                   photos=[photo_bytes(seed=n) for n in range(4)])
    nothing_moved(db.session, upload_dir)


def test_three_photos_are_stored_in_order(db, place, upload_dir):
    claim = file_claim(db, upload_dir, place.resident, place.cleaning,
                       photos=[photo_bytes(seed=n) for n in range(3)])

    assert [photo.position for photo in claim.photos] == [1, 2, 3]
    assert sorted(p.name for p in upload_dir.iterdir()) == sorted(p.storage_key for p in claim.photos)


def test_a_bad_second_photo_refuses_the_claim_and_stores_not_even_the_good_one(db, place, upload_dir):
    with pytest.raises(PhotoNotImageError) as refused:
        file_claim(db, upload_dir, place.resident, place.cleaning,
                   photos=[photo_bytes(), b"not a photo"])
    assert refused.value.params["number"] == 2
    nothing_moved(db.session, upload_dir)


def test_a_9_mb_photo_is_refused(db, place, upload_dir):
    with pytest.raises(PhotoTooLargeError):
        file_claim(db, upload_dir, place.resident, place.cleaning,
                   photos=[photo_bytes() + b"\x00" * (9 * 1024 * 1024)])
    nothing_moved(db.session, upload_dir)


def test_photos_written_before_a_refusal_inside_the_transaction_are_removed(db, place, upload_dir):
    # The cap is checked inside the transaction, after the photos were written.
    with pytest.raises(DailyCapReachedError):
        file_claim(db, upload_dir, place.resident, place.cleaning, hours="5")  # 50 > 40 a day
    nothing_moved(db.session, upload_dir)


def test_a_claim_over_the_day_cap_given_credits_so_far_is_refused(db, place, upload_dir):
    with unit_of_work(db.session):
        earning.credit_work(db.session, user=place.resident, activity_type=place.cleaning,
                            source="activity", source_id=1, work_day=TODAY,
                            points=Decimal("30"), now=NOW)

    with pytest.raises(DailyCapReachedError) as refused:
        file_claim(db, upload_dir, place.resident, place.cleaning, hours="2")
    assert refused.value.params["remaining"] == "10"
    assert db.session.query(Claim).count() == 0
    assert file_claim(db, upload_dir, place.resident, place.cleaning, hours="1").points_asked == 10


def test_a_claim_over_the_month_cap_is_refused(db, place, upload_dir):
    monthly = factories.make_activity_type(db.session, place.community, name="绿化美化",
                                           unit="participation", points="50", monthly_cap="60")
    with unit_of_work(db.session):
        earning.credit_work(db.session, user=place.resident, activity_type=monthly,
                            source="activity", source_id=1, work_day=TODAY - timedelta(days=5),
                            points=Decimal("50"), now=NOW)

    with pytest.raises(MonthlyCapReachedError):
        file_claim(db, upload_dir, place.resident, monthly)


def test_pending_claims_do_not_count_against_the_caps(db, place, upload_dir):
    file_claim(db, upload_dir, place.resident, place.cleaning, hours="4")  # 40: the whole day
    assert file_claim(db, upload_dir, place.resident, place.cleaning, hours="4").points_asked == 40


@pytest.mark.parametrize("which", ["other community", "inactive", "missing"])
def test_only_active_types_of_ones_own_community_can_be_claimed(db, place, upload_dir, which):
    if which == "other community":
        activity_type = factories.make_activity_type(db.session, factories.make_community(db.session))
    else:
        activity_type = factories.make_activity_type(db.session, place.community, active=False)
    type_id = 999_999 if which == "missing" else activity_type.id

    with pytest.raises(ClaimTypeUnknownError):
        services.file_claim(db.session, acting=acting_as_self(place.resident), type_id=type_id,
                            work_day=TODAY, hours="1", description="扫地", photos=[],
                            upload_dir=upload_dir, now=NOW)
    assert db.session.query(Claim).count() == 0


def test_staff_cannot_file_claims(db, place, upload_dir):
    with pytest.raises(ForbiddenError):
        file_claim(db, upload_dir, place.staff, place.mediation)
    nothing_moved(db.session, upload_dir)


def test_a_merchant_who_volunteers_can_file(db, place, upload_dir):
    shop = factories.make_merchant(db.session, place.community)
    clerk = factories.make_user(db.session, place.community, "merchant_clerk", merchant=shop)

    claim = file_claim(db, upload_dir, clerk, place.mediation)

    assert claim.user_id == clerk.id and claim.grid_id is None  # office staff decide on it


def grant_proxy(db, place, proxy):
    return residents.grant_proxy(db.session, actor=place.staff, community=place.community,
                                 resident_id=place.resident.id, proxy_phone=proxy.phone,
                                 relation="子女", now=NOW)


def test_a_proxy_files_for_the_resident_and_is_recorded_as_filer(db, place, upload_dir):
    son = factories.make_resident(db.session, place.community, name="王小明")
    grant_proxy(db, place, son)

    claim = file_claim(db, upload_dir, son, place.mediation,
                       acting=acting_for(db.session, son, place.resident.id))

    assert (claim.user_id, claim.filed_by_id) == (place.resident.id, son.id)
    assert claim.household_id == place.resident.household_id


def test_a_proxy_whose_grant_was_revoked_meanwhile_is_refused(db, place, upload_dir):
    son = factories.make_resident(db.session, place.community, name="王小明")
    grant = grant_proxy(db, place, son)
    acting = acting_for(db.session, son, place.resident.id)  # the form was shown
    residents.revoke_proxy(db.session, actor=place.staff, community=place.community,
                           grant_id=grant.id, now=NOW)

    with pytest.raises(ForbiddenError):
        file_claim(db, upload_dir, son, place.mediation, acting=acting)
    assert db.session.query(Claim).count() == 0


def test_a_photo_used_in_another_claim_of_the_community_is_flagged(db, place, upload_dir):
    picture = photo_bytes(seed=42)
    first = file_claim(db, upload_dir, place.neighbour, place.cleaning, photos=[picture])

    second = file_claim(db, upload_dir, place.resident, place.cleaning,
                        photos=[photo_bytes(seed=9), photo_bytes(seed=42, exif=b"")])

    assert [p.duplicate_of_claim_id for p in second.photos] == [None, first.id]
    assert first.photos[0].duplicate_of_claim_id is None


def test_the_same_photo_in_another_community_is_not_a_duplicate(db, place, upload_dir):
    picture = photo_bytes(seed=5)
    file_claim(db, upload_dir, place.resident, place.cleaning, photos=[picture])
    elsewhere = factories.make_community(db.session, name="城口社区")
    stranger = factories.make_resident(db.session, elsewhere)
    their_type = factories.make_activity_type(db.session, elsewhere, photo_required=True)

    claim = file_claim(db, upload_dir, stranger, their_type, photos=[picture])

    assert claim.photos[0].duplicate_of_claim_id is None


def test_a_resident_reads_only_her_own_claims(db, place, upload_dir):
    mine = file_claim(db, upload_dir, place.resident, place.mediation)
    theirs = file_claim(db, upload_dir, place.neighbour, place.mediation)

    assert [c.id for c in services.claims_of(db.session, place.resident)] == [mine.id]
    assert services.own_claim(db.session, place.resident, mine.id).id == mine.id
    with pytest.raises(ClaimNotFoundError):
        services.own_claim(db.session, place.resident, theirs.id)
