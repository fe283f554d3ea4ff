"""The claims API over HTTP: DESIGN's contract rows ``POST/GET /api/v1/claims`` and
``POST /api/v1/claims/{id}/approve`` · ``/reject``, plus reading one claim and its photos."""
import base64
import io
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from points import wallets
from points.claims.models import APPROVED, PENDING, REJECTED, SECOND_REVIEW, Claim
from points.residents import services as residents
from points.timeutil import local, utcnow
from tests import factories
from tests.factories import bearer
from tests.points.claims.conftest import count, file_claim, photo_bytes

URL = "/api/v1/claims"


@pytest.fixture
def uploads(app):
    return Path(app.config["INSTANCE_PATH"]) / "uploads" / "claims"


def today():
    return local(utcnow()).date().isoformat()


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]["code"]


def multipart(activity_type, *photos, **fields):
    """Keyword arguments for ``client.post``: the body encoded in memory (the test
    client would spool a big body to a temporary file it never closes)."""
    values = MultiDict({"type_id": str(activity_type.id), "work_day": today(), "hours": "2",
                        "description": "打扫了3栋楼道", **fields})
    for raw, name in photos:
        values.add("photos", FileStorage(io.BytesIO(raw), filename=name))
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def file_now(db, uploads, user, activity_type, **kwargs):
    return file_claim(db, uploads, user, activity_type, now=utcnow(), **kwargs)


def nothing_stored(db, uploads):
    return count(db.session, Claim) == 0 and (not uploads.exists() or not list(uploads.iterdir()))


# POST /api/v1/claims


def test_a_resident_files_a_claim_with_photos_as_multipart(client, db, place, uploads):
    headers = bearer(client, place.resident)

    response = client.post(URL, headers=headers, **multipart(
        place.cleaning, (photo_bytes("PNG"), "a.jpg"), (photo_bytes(seed=3), "b.jpg")))

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == PENDING and body["points_asked"] == "20" and body["points"] is None
    assert body["type"] == {"id": place.cleaning.id, "name": "环境卫生", "unit": "hour"}
    assert body["hours"] == "2" and body["work_day"] == today() and not body["filed_by_proxy"]
    assert [p["url"] for p in body["photos"]] == [f"{URL}/{body['id']}/photos/1",
                                                  f"{URL}/{body['id']}/photos/2"]
    assert body["decisions"] == [] and body["credit"] is None
    assert len(list(uploads.iterdir())) == 2


def test_a_claim_without_photos_may_be_sent_as_json(client, db, place):
    response = client.post(URL, headers=bearer(client, place.resident),
                           json={"type_id": place.mediation.id, "work_day": today(),
                                 "description": "调解邻里纠纷"})

    assert response.status_code == 201 and response.get_json()["points_asked"] == "20"


def test_json_for_a_type_that_needs_a_photo_is_refused(client, db, place, uploads):
    response = client.post(URL, headers=bearer(client, place.resident),
                           json={"type_id": place.cleaning.id, "work_day": today(), "hours": "1",
                                 "description": "扫地"})

    assert (response.status_code, error_of(response)) == (422, "photo_required")
    assert nothing_stored(db, uploads)


@pytest.mark.parametrize("fields, code", [
    ({"type_id": "x"}, "invalid_input"),
    ({"work_day": "2026-13-01"}, "invalid_input"),
    ({"description": ""}, "description_missing"),
    ({"hours": "25"}, "hours_invalid"),
    ({"hours": ""}, "hours_required"),
    ({"work_day": "2999-01-01"}, "work_day_in_future"),
    ({"hours": "5"}, "cap_reached"),  # 50 points, 40 a day
])
def test_bad_input_is_422_and_stores_nothing(client, db, place, uploads, fields, code):
    response = client.post(URL, headers=bearer(client, place.resident),
                           **multipart(place.cleaning, (photo_bytes(), "a.jpg"), **fields))

    assert (response.status_code, error_of(response)) == (422, code)
    assert nothing_stored(db, uploads)


@pytest.mark.parametrize("photos, code", [
    ([(b"just text", "photo.jpg")], "photo_not_image"),
    ([(photo_bytes() + b"\0" * (9 * 1024 * 1024), "big.jpg")], "claim_photo_too_large"),
    ([(photo_bytes(seed=n), f"{n}.jpg") for n in range(4)], "too_many_photos"),
])
def test_bad_photos_are_422_and_store_nothing(client, db, place, uploads, photos, code):
    response = client.post(URL, headers=bearer(client, place.resident),
                           **multipart(place.cleaning, *photos))

    assert (response.status_code, error_of(response)) == (422, code)
    assert nothing_stored(db, uploads)


def test_a_json_float_for_hours_is_refused(client, db, place):
    response = client.post(URL, headers=bearer(client, place.resident),
                           json={"type_id": place.mediation.id, "work_day": today(),
                                 "description": "调解", "hours": 1.5})
    assert (response.status_code, error_of(response)) == (422, "invalid_input")


def test_another_body_type_is_415(client, db, place):
    response = client.post(URL, headers=bearer(client, place.resident), data="type_id=1",
                           content_type="text/plain")
    assert response.status_code == 415


def test_staff_may_not_file_and_nobody_files_unsigned(client, db, place):
    assert client.post(URL, json={}).status_code == 401
    response = client.post(URL, headers=bearer(client, place.staff),
                           json={"type_id": place.mediation.id, "work_day": today(),
                                 "description": "调解"})
    assert (response.status_code, error_of(response)) == (403, "forbidden")


def test_a_proxy_files_for_the_resident_with_acting_for(client, db, place):
    son = factories.make_resident(db.session, place.community, name="王小明")
    stranger = factories.make_resident(db.session, place.community, name="路人")
    residents.grant_proxy(db.session, actor=place.staff, community=place.community,
                          resident_id=place.resident.id, proxy_phone=son.phone, now=utcnow())
    body = {"type_id": place.mediation.id, "work_day": today(), "description": "调解",
            "acting_for": place.resident.id}

    filed = client.post(URL, headers=bearer(client, son), json=body)
    refused = client.post(URL, headers=bearer(client, stranger), json=body)

    assert filed.status_code == 201 and filed.get_json()["filed_by_proxy"] is True
    assert filed.get_json()["user"] == {"id": place.resident.id, "name": "王秀英"}
    assert refused.status_code == 403 and count(db.session, Claim) == 1


# GET /api/v1/claims and /api/v1/claims/{id}


def test_a_resident_lists_her_own_claims_newest_first_with_a_cursor(client, db, place, uploads):
    ids = [file_now(db, uploads, place.resident, place.mediation).id for _ in range(3)]
    file_now(db, uploads, place.neighbour, place.mediation)
    headers = bearer(client, place.resident)

    first = client.get(f"{URL}?limit=2", headers=headers).get_json()
    second = client.get(f"{URL}?limit=2&cursor={first['next_cursor']}", headers=headers).get_json()

    assert [c["id"] for c in first["claims"]] == ids[:0:-1]
    assert [c["id"] for c in second["claims"]] == ids[:1] and second["next_cursor"] is None
    assert first["next_cursor"] == base64.urlsafe_b64encode(str(ids[1]).encode()).rstrip(b"=").decode()


def test_staff_list_the_communitys_claims_filtered_by_status(client, db, place, uploads):
    pending = file_now(db, uploads, place.resident, place.mediation)
    done = file_now(db, uploads, place.neighbour, place.mediation)
    headers = bearer(client, place.staff)
    client.post(f"{URL}/{done.id}/reject", headers=headers, json={"reason": "重复申报"})

    everything = client.get(URL, headers=headers).get_json()["claims"]
    waiting = client.get(f"{URL}?status=pending", headers=headers).get_json()["claims"]

    assert [c["id"] for c in everything] == [done.id, pending.id]
    assert [c["id"] for c in waiting] == [pending.id]
    assert client.get(f"{URL}?status=lost", headers=headers).status_code == 422


def test_a_grid_worker_lists_and_reads_only_claims_of_their_grids(client, db, place, uploads):
    mine = file_now(db, uploads, place.resident, place.mediation)
    theirs = file_now(db, uploads, place.neighbour, place.mediation)
    headers = bearer(client, place.grid_worker)

    listed = client.get(URL, headers=headers).get_json()["claims"]

    assert [c["id"] for c in listed] == [mine.id]
    assert client.get(f"{URL}/{theirs.id}", headers=headers).status_code == 404
    assert client.get(f"{URL}/{mine.id}", headers=headers).status_code == 200


def test_one_claim_is_404_for_other_residents_and_other_communities(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.mediation)
    elsewhere = factories.make_user(db.session, factories.make_community(db.session), "staff")

    assert client.get(f"{URL}/{claim.id}", headers=bearer(client, place.neighbour)).status_code == 404
    assert client.get(f"{URL}/{claim.id}", headers=bearer(client, elsewhere)).status_code == 404
    assert client.get(f"{URL}/999999", headers=bearer(client, place.staff)).status_code == 404


def test_the_duplicate_flag_is_for_staff_only(client, db, place, uploads):
    picture = photo_bytes(seed=11)
    first = file_now(db, uploads, place.neighbour, place.cleaning, photos=[picture])
    second = file_now(db, uploads, place.resident, place.cleaning, photos=[picture])

    staff_view = client.get(f"{URL}/{second.id}", headers=bearer(client, place.staff)).get_json()
    own_view = client.get(f"{URL}/{second.id}", headers=bearer(client, place.resident)).get_json()

    assert staff_view["photos"][0]["duplicate_of_claim_id"] == first.id
    assert own_view["photos"][0]["duplicate_of_claim_id"] is None


def test_a_photo_is_served_over_the_api_to_those_who_may_see_it(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.cleaning)

    with client.get(f"{URL}/{claim.id}/photos/1", headers=bearer(client, place.resident)) as mine:
        assert mine.status_code == 200 and mine.mimetype == "image/jpeg"
        assert mine.headers["Cache-Control"].startswith("private")
    with client.get(f"{URL}/{claim.id}/photos/1", headers=bearer(client, place.neighbour)) as other:
        assert other.status_code == 404


# POST /api/v1/claims/{id}/approve and /reject


def test_staff_approve_with_the_rules_points(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.cleaning)

    response = client.post(f"{URL}/{claim.id}/approve", headers=bearer(client, place.staff), json={})

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == APPROVED and body["points"] == "20" and body["credit"]["points"] == "20"
    assert body["decisions"][0]["approver"] == {"id": place.staff.id, "name": "陈主任"}
    assert wallets.wallet_balance(db.session, place.resident).balance == 20


def test_staff_approve_with_adjusted_points_and_a_note(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.cleaning)
    headers = bearer(client, place.staff)

    no_note = client.post(f"{URL}/{claim.id}/approve", headers=headers, json={"points": "15"})
    bad = client.post(f"{URL}/{claim.id}/approve", headers=headers,
                      json={"points": "1.5", "note": "x"})
    as_float = client.post(f"{URL}/{claim.id}/approve", headers=headers,
                           json={"points": 15, "note": "x"})
    over_cap = client.post(f"{URL}/{claim.id}/approve", headers=headers,
                           json={"points": "50", "note": "干得多"})
    assert [(r.status_code, error_of(r)) for r in (no_note, bad, as_float, over_cap)] == [
        (422, "adjust_reason_missing"), (422, "points_invalid"), (422, "invalid_input"),
        (422, "cap_reached")]
    assert wallets.wallet_balance(db.session, place.resident).balance == 0

    done = client.post(f"{URL}/{claim.id}/approve", headers=headers,
                       json={"points": "15", "note": "只扫了一层"})
    assert done.status_code == 200 and done.get_json()["points"] == "15"


def test_deciding_twice_is_409(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.mediation)
    client.post(f"{URL}/{claim.id}/approve", headers=bearer(client, place.staff), json={})
    other = bearer(client, place.second_staff)

    again = client.post(f"{URL}/{claim.id}/approve", headers=other, json={})
    rejecting = client.post(f"{URL}/{claim.id}/reject", headers=other, json={"reason": "晚了"})

    assert [(r.status_code, error_of(r)) for r in (again, rejecting)] == [
        (409, "claim_already_decided"), (409, "claim_already_decided")]
    assert wallets.wallet_balance(db.session, place.resident).balance == 20


def test_the_first_approver_again_is_409_and_a_second_one_credits(client, db, place, uploads):
    big = factories.make_activity_type(db.session, place.community, name="大扫除",
                                       unit="participation", points="150",
                                       second_approval_above="100")
    claim = file_now(db, uploads, place.resident, big)
    first = bearer(client, place.staff)

    once = client.post(f"{URL}/{claim.id}/approve", headers=first, json={})
    twice = client.post(f"{URL}/{claim.id}/approve", headers=first, json={})
    second = client.post(f"{URL}/{claim.id}/approve", headers=bearer(client, place.second_staff),
                         json={})

    assert once.status_code == 200 and once.get_json()["status"] == SECOND_REVIEW
    assert (twice.status_code, error_of(twice)) == (409, "same_approver")
    assert second.status_code == 200 and second.get_json()["status"] == APPROVED
    assert [d["approver"]["name"] for d in second.get_json()["decisions"]] == ["陈主任", "周书记"]
    assert wallets.wallet_balance(db.session, place.resident).balance == 150


def test_self_and_household_approval_is_403(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.mediation)

    response = client.post(f"{URL}/{claim.id}/approve", headers=bearer(client, place.spouse), json={})

    assert (response.status_code, error_of(response)) == (403, "own_household_claim")
    assert db.session.get(Claim, claim.id).status == PENDING


def test_residents_may_not_approve_or_reject(client, db, place, uploads):
    claim = file_now(db, uploads, place.neighbour, place.mediation)
    headers = bearer(client, place.resident)

    approving = client.post(f"{URL}/{claim.id}/approve", headers=headers, json={})
    rejecting = client.post(f"{URL}/{claim.id}/reject", headers=headers, json={"reason": "不行"})

    assert (approving.status_code, rejecting.status_code) == (403, 403)
    assert db.session.get(Claim, claim.id).status == PENDING


def test_unknown_or_other_communitys_claims_are_404(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.mediation)
    stranger = factories.make_user(db.session, factories.make_community(db.session), "staff")

    other = client.post(f"{URL}/{claim.id}/approve", headers=bearer(client, stranger), json={})
    unknown = client.post(f"{URL}/999999/reject", headers=bearer(client, place.staff),
                          json={"reason": "无"})
    far = client.post(f"{URL}/{claim.id}/approve", headers=bearer(client, place.far_grid_worker),
                      json={})

    assert (other.status_code, unknown.status_code, far.status_code) == (404, 404, 404)
    assert db.session.get(Claim, claim.id).status == PENDING


def test_staff_reject_with_a_reason(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.mediation)
    headers = bearer(client, place.staff)

    missing = client.post(f"{URL}/{claim.id}/reject", headers=headers, json={})
    blank = client.post(f"{URL}/{claim.id}/reject", headers=headers, json={"reason": "  "})
    done = client.post(f"{URL}/{claim.id}/reject", headers=headers, json={"reason": "没有调解记录"})

    assert [(r.status_code, error_of(r)) for r in (missing, blank)] == [
        (422, "invalid_input"), (422, "reason_missing")]
    assert done.status_code == 200
    assert (done.get_json()["status"], done.get_json()["reject_reason"]) == (REJECTED, "没有调解记录")


def test_a_district_administrator_approves_through_the_api(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.mediation)
    district = factories.make_user(db.session, None, "district_admin", name="区管理员")
    headers = bearer(client, district)

    approved = client.post(f"{URL}/{claim.id}/approve", headers=headers, json={})
    listed = client.get(f"{URL}?community_id={place.community.id}", headers=headers)

    assert approved.status_code == 200
    assert [c["id"] for c in listed.get_json()["claims"]] == [claim.id]
    assert client.get(URL, headers=headers).status_code == 404


def test_the_contract_paths_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert {"post", "get"} <= set(paths["/api/v1/claims"])
    assert "post" in paths["/api/v1/claims/{claim_id}/approve"]
    assert "post" in paths["/api/v1/claims/{claim_id}/reject"]
    body = paths["/api/v1/claims"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/json"} <= set(body)



def test_a_repeated_approval_with_its_idempotency_key_credits_once(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.cleaning)
    headers = {**bearer(client, place.staff), "Idempotency-Key": "approve-once"}

    first = client.post(f"{URL}/{claim.id}/approve", headers=headers, json={})
    again = client.post(f"{URL}/{claim.id}/approve", headers=headers, json={})
    other = client.post(f"{URL}/{claim.id}/reject", headers=headers, json={"reason": "重复"})

    assert first.status_code == 200 and again.status_code == 200
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert (other.status_code, error_of(other)) == (422, "idempotency_conflict")
    assert wallets.wallet_balance(db.session, place.resident).balance == 20


def test_a_photo_is_judged_by_its_content_not_its_name_or_type(client, db, place, uploads):
    """A real PNG sent as ``notes.txt`` with ``text/plain`` is a photo; text sent as
    ``photo.jpg`` with ``image/jpeg`` is not (photos are decoded and re-encoded)."""
    values = MultiDict({"type_id": str(place.cleaning.id), "work_day": today(), "hours": "2",
                        "description": "打扫了3栋楼道"})
    values.add("photos", FileStorage(io.BytesIO(photo_bytes("PNG")), filename="notes.txt",
                                     content_type="text/plain"))
    boundary, body = encode_multipart(values)
    taken = client.post(URL, headers=bearer(client, place.resident), data=body,
                        content_type=f"multipart/form-data; boundary={boundary}")
    values.setlist("photos", [FileStorage(io.BytesIO(b"GIF89a not really" * 40),
                                          filename="photo.jpg", content_type="image/jpeg")])
    boundary, body = encode_multipart(values)
    refused = client.post(URL, headers=bearer(client, place.resident), data=body,
                          content_type=f"multipart/form-data; boundary={boundary}")

    assert taken.status_code == 201, taken.get_json()
    assert (refused.status_code, error_of(refused)) == (422, "photo_not_image")
    stored = list(uploads.iterdir())
    assert len(stored) == 1 and stored[0].read_bytes()[:3] == b"\xff\xd8\xff"  # re-encoded JPEG
