"""群众点单: a resident, their 亲情代理, or staff on the phone file a request; every
refusal stores nothing (no row, no file); who may see a request and its photos."""
import pytest

from points.claims.errors import PhotoNotImageError, TooManyPhotosError
from points.errors import ForbiddenError
from points.notifications.models import Notification
from points.residents.acting import acting_as_self
from points.tasks import errors, rules, services, staff
from points.tasks.models import RECEIVED, RequestPhoto
from tests.points.claims.conftest import photo_bytes
from tests.points.tasks.conftest import NOW, as_proxy, count, file, later, snapshot


def test_a_resident_files_a_request_of_her_grid(db, world, upload_dir):
    request = file(db, upload_dir, world, urgent=True)

    assert request.status == RECEIVED and request.urgent
    assert (request.requester_id, request.filed_by_id) == (world.requester.id, world.requester.id)
    assert request.grid_id == world.grid.id and request.household_id == world.requester.household_id
    assert request.place == "3栋2单元401" and request.preferred_time == "周三上午"
    assert [e.kind for e in request.events] == ["received"]
    assert count(db.session, Notification) == 0  # she knows: she filed it


def test_photos_are_stored_re_encoded_in_the_uploads_folder(db, world, upload_dir):
    request = file(db, upload_dir, world, category="repair", description="屋顶渗水",
                   photos=[photo_bytes("PNG"), photo_bytes(seed=2)])

    assert [p.position for p in request.photos] == [1, 2]
    stored = sorted(path.name for path in upload_dir.iterdir())
    assert stored == sorted(p.storage_key for p in request.photos)
    assert all((upload_dir / key).read_bytes()[:2] == b"\xff\xd8" for key in stored)  # JPEG


def test_a_proxy_files_for_the_resident_who_is_told(db, world, upload_dir):
    request = file(db, upload_dir, world, acting=as_proxy(world))

    assert (request.requester_id, request.filed_by_id) == (world.requester.id, world.son.id)
    told = db.session.scalars(db.session.query(Notification).statement).all()
    assert [(n.user_id, n.kind) for n in told] == [(world.requester.id, "task_received")]
    assert "24 小时内处理" in told[0].body


def test_a_proxy_whose_grant_was_revoked_files_nothing(db, world, upload_dir):
    from points.auth.models import ProxyGrant
    from points.extensions import unit_of_work

    acting = as_proxy(world)
    with unit_of_work(db.session):
        db.session.query(ProxyGrant).update({"revoked_at": NOW})
    before = snapshot(db)

    with pytest.raises(ForbiddenError):
        file(db, upload_dir, world, acting=acting, photos=[photo_bytes()])

    assert snapshot(db) == before
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []


def test_staff_on_the_phone_file_for_a_resident_found_by_phone(db, world, upload_dir):
    request = staff.file_for_resident(
        db.session, actor=world.staff, community=world.community,
        phone=f" {world.requester.phone} ", category="meals", description="送午饭",
        place="3栋2单元401", urgent=True, upload_dir=upload_dir, now=NOW)

    assert (request.requester_id, request.filed_by_id) == (world.requester.id, world.staff.id)
    assert [e.kind for e in request.events] == ["received"]
    assert count(db.session, Notification, Notification.user_id == world.requester.id) == 1
    assert "2 小时内处理" in db.session.scalar(db.session.query(Notification.body).statement)


@pytest.mark.parametrize("phone", ["13900000000", "", "other-community"])
def test_staff_filing_for_an_unknown_number_stores_nothing(db, world, upload_dir, phone):
    phone = world.stranger.phone if phone == "other-community" else phone
    before = snapshot(db)

    with pytest.raises(errors.RequesterUnknownError):
        staff.file_for_resident(db.session, actor=world.staff, community=world.community,
                                phone=phone, category="meals", description="送午饭",
                                place="3栋", upload_dir=upload_dir, now=NOW)

    assert snapshot(db) == before


def test_a_resident_cannot_file_as_staff_on_the_phone(db, world, upload_dir):
    with pytest.raises(ForbiddenError):
        staff.file_for_resident(db.session, actor=world.volunteer, community=world.community,
                                phone=world.requester.phone, category="meals",
                                description="送午饭", place="3栋", upload_dir=upload_dir, now=NOW)


def test_staff_cannot_file_a_request_of_their_own(db, world, upload_dir):
    with pytest.raises(errors.NotARequesterError):
        file(db, upload_dir, world, acting=acting_as_self(world.staff))


BAD_REQUESTS = [
    ({"category": "spa"}, errors.CategoryUnknownError),
    ({"category": ""}, errors.CategoryUnknownError),
    ({"description": "  \n "}, errors.RequestDescriptionMissingError),
    ({"description": "字" * (rules.DESCRIPTION_LIMIT + 1)}, errors.RequestDescriptionTooLongError),
    ({"place": " "}, errors.PlaceMissingError),
    ({"place": "地" * (rules.PLACE_LIMIT + 1)}, errors.TextTooLongError),
    ({"preferred_time": "时" * (rules.PREFERRED_TIME_LIMIT + 1)}, errors.TextTooLongError),
    ({"photos": [photo_bytes(seed=n) for n in range(4)]}, TooManyPhotosError),
    ({"photos": [photo_bytes(), b"not a picture"]}, PhotoNotImageError),
]


def test_a_bad_request_is_refused_and_stores_nothing(db, world, upload_dir):
    before = snapshot(db)

    for fields, error in BAD_REQUESTS:
        with pytest.raises(error):
            file(db, upload_dir, world, **fields)
        assert snapshot(db) == before, fields
        assert not upload_dir.exists() or list(upload_dir.iterdir()) == []


def test_descriptions_keep_their_lines_and_lose_extra_spaces(db, world, upload_dir):
    request = file(db, upload_dir, world, description="  周三上午   复查 \n\n 要带医保卡 ",
                   place="  3栋  2单元 ")

    assert request.description == "周三上午 复查\n要带医保卡" and request.place == "3栋 2单元"


# Who sees what


def test_the_requester_sees_her_requests_newest_first(db, world, upload_dir):
    first = file(db, upload_dir, world)
    second = file(db, upload_dir, world, category="errands", now=later(5))
    file(db, upload_dir, world, acting=acting_as_self(world.volunteer))

    assert [r.id for r in services.requests_of(db.session, world.requester)] == [second.id, first.id]
    assert [r.id for r in services.requests_of(db.session, world.requester, before=second.id)] == [
        first.id]
    assert services.own_request(db.session, world.requester, first.id).id == first.id
    with pytest.raises(errors.RequestNotFoundError):
        services.own_request(db.session, world.volunteer, first.id)


def test_who_may_see_a_request_and_its_photos(db, world, upload_dir):
    request = file(db, upload_dir, world, photos=[photo_bytes()])

    for who in ("requester", "son", "staff", "grid_worker"):
        viewer = getattr(world, who)
        assert services.visible_request(db.session, viewer=viewer, request_id=request.id).id == request.id
        photo = services.photo_for(db.session, viewer=viewer, request_id=request.id, position=1)
        assert isinstance(photo, RequestPhoto)
    for who in ("far_grid_worker", "volunteer", "husband", "stranger"):
        viewer = getattr(world, who)
        with pytest.raises(errors.RequestNotFoundError):
            services.visible_request(db.session, viewer=viewer, request_id=request.id)
        with pytest.raises(errors.RequestNotFoundError):
            services.photo_for(db.session, viewer=viewer, request_id=request.id, position=1)


def test_a_volunteer_holding_a_place_sees_the_request(db, world, upload_dir):
    from tests.points.tasks.conftest import claim, publish

    request = file(db, upload_dir, world, photos=[photo_bytes()])
    claim(db, world.volunteer, publish(db, world, request))

    assert services.visible_request(db.session, viewer=world.volunteer, request_id=request.id)
    with pytest.raises(errors.RequestNotFoundError):
        services.photo_for(db.session, viewer=world.volunteer, request_id=request.id, position=2)


def test_a_request_without_a_grid_is_the_offices(db, world, upload_dir):
    request = file(db, upload_dir, world, acting=acting_as_self(world.clerk))  # no household

    assert request.grid_id is None and request.household_id is None
    queue = staff.review_queue(db.session, actor=world.grid_worker, community=world.community,
                               now=NOW)
    assert queue == []
    assert [row.request.id for row in staff.review_queue(
        db.session, actor=world.staff, community=world.community, now=NOW)] == [request.id]
