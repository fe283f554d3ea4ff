"""The requests and tasks API over HTTP: every endpoint, its refusals in the project's
error shape with their statuses, and nothing moving on a refusal."""
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from points.tasks.models import CLOSED, DISPUTED, ServiceRequest, Task
from points.timeutil import utcnow
from tests import factories
from tests.factories import bearer
from tests.points.claims.conftest import photo_bytes
from tests.points.tasks.conftest import balance, claim, count, file, finish, publish, snapshot


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]["code"]


def filed(db, uploads, world, **kwargs):
    return file(db, uploads, world, now=utcnow(), **kwargs)


def published(db, uploads, world, **kwargs):
    request = filed(db, uploads, world)
    now = utcnow()
    return request, publish(db, world, request, now=now, deadline=now + timedelta(days=1), **kwargs)


def done(db, uploads, world):
    request, task = published(db, uploads, world)
    claim(db, world.volunteer, task, now=utcnow())
    finish(db, world.volunteer, task, now=utcnow())
    return request, task


NEED = {"category": "escort", "description": "周三去县医院复查", "place": "3栋2单元401",
        "preferred_time": "周三上午"}


# Requests


def test_a_resident_posts_a_request_as_json(client, db, world):
    response = client.post("/api/v1/requests", headers=bearer(client, world.requester),
                           json={**NEED, "urgent": True})

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["status"], body["stage"], body["urgent"], body["promise_minutes"]) == (
        "received", "received", True, 120)
    assert body["requester"]["name"] == "王秀英" and body["task"] is None
    assert [e["kind"] for e in body["events"]] == ["received"]


def test_a_request_with_photos_as_multipart_and_its_photo(client, db, world):
    headers = bearer(client, world.requester)
    values = MultiDict({**NEED, "urgent": "false"})
    values.add("photos", FileStorage(io.BytesIO(photo_bytes("PNG")), filename="a.png"))
    boundary, data = encode_multipart(values)

    response = client.post("/api/v1/requests", headers=headers, data=data,
                           content_type=f"multipart/form-data; boundary={boundary}")

    assert response.status_code == 201, response.get_json()
    url = response.get_json()["photos"][0]["url"]
    with client.get(url, headers=headers) as photo:
        assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    with client.get(url, headers=bearer(client, world.volunteer)) as photo:
        assert photo.status_code == 404


def test_a_proxy_posts_for_his_mother(client, db, world):
    response = client.post("/api/v1/requests", headers=bearer(client, world.son),
                           json={**NEED, "acting_for": world.requester.id})

    body = response.get_json()
    assert response.status_code == 201
    assert (body["requester"]["id"], body["filed_by"]["id"]) == (world.requester.id, world.son.id)


def test_staff_post_for_a_resident_on_the_phone(client, db, world):
    response = client.post("/api/v1/requests", headers=bearer(client, world.staff),
                           json={**NEED, "requester_phone": world.requester.phone})

    assert response.status_code == 201
    assert response.get_json()["filed_by"]["id"] == world.staff.id
    unknown = client.post("/api/v1/requests", headers=bearer(client, world.staff), json=NEED)
    assert (unknown.status_code, error_of(unknown)) == (422, "requester_unknown")


def test_a_bad_request_is_refused_with_the_error_shape(client, db, world):
    headers = bearer(client, world.requester)
    before = snapshot(db)

    for body, status, code in (
            ({**NEED, "category": "spa"}, 422, "invalid_input"),
            ({**NEED, "description": " "}, 422, "description_missing"),
            ({**NEED, "place": ""}, 422, "place_missing"),
            ({k: v for k, v in NEED.items() if k != "place"}, 422, "invalid_input"),
            ({**NEED, "acting_for": 999999}, 403, "forbidden")):
        response = client.post("/api/v1/requests", headers=headers, json=body)
        assert (response.status_code, error_of(response)) == (status, code), body
        assert snapshot(db) == before


def test_a_request_body_that_is_neither_json_nor_multipart_is_415(client, db, world):
    response = client.post("/api/v1/requests", headers=bearer(client, world.requester),
                           data="category=escort", content_type="text/plain")

    assert response.status_code == 415


def test_the_requester_lists_hers_and_staff_their_queue(client, db, world, uploads):
    first = filed(db, uploads, world)
    second = filed(db, uploads, world)

    mine = client.get("/api/v1/requests?limit=1", headers=bearer(client, world.requester)).get_json()
    assert [r["id"] for r in mine["requests"]] == [second.id] and mine["next_cursor"]
    older = client.get(f"/api/v1/requests?cursor={mine['next_cursor']}",
                       headers=bearer(client, world.requester)).get_json()
    assert [r["id"] for r in older["requests"]] == [first.id] and older["next_cursor"] is None
    queue = client.get("/api/v1/requests", headers=bearer(client, world.grid_worker)).get_json()
    assert [r["id"] for r in queue["requests"]] == [first.id, second.id]
    far = client.get("/api/v1/requests", headers=bearer(client, world.far_grid_worker)).get_json()
    assert far["requests"] == []


def test_one_request_is_seen_by_its_side_only(client, db, world, uploads):
    request = filed(db, uploads, world)

    assert client.get(f"/api/v1/requests/{request.id}",
                      headers=bearer(client, world.son)).status_code == 200
    response = client.get(f"/api/v1/requests/{request.id}", headers=bearer(client, world.volunteer))
    assert (response.status_code, error_of(response)) == (404, "not_found")


def test_staff_publish_decline_merge_and_route(client, db, world, uploads):
    one, two, three, four = (filed(db, uploads, world) for _ in range(4))
    headers = bearer(client, world.staff)
    deadline = (utcnow() + timedelta(days=1)).isoformat()

    published = client.post(f"/api/v1/requests/{one.id}/publish", headers=headers, json={
        "title": "陪诊", "type_id": world.care.id, "points": "20", "volunteers_needed": 2,
        "deadline": deadline})
    assert published.status_code == 201, published.get_json()
    task = published.get_json()["task"]
    assert (task["points"], task["volunteers_needed"], task["status"]) == ("20", 2, "open")
    again = client.post(f"/api/v1/requests/{one.id}/publish", headers=headers, json={
        "title": "陪诊", "type_id": world.care.id, "points": "20", "deadline": deadline})
    assert (again.status_code, error_of(again)) == (409, "request_already_reviewed")
    over = client.post(f"/api/v1/requests/{two.id}/publish", headers=headers, json={
        "title": "陪诊", "type_id": world.care.id, "points": "50", "deadline": deadline})
    assert (over.status_code, error_of(over)) == (422, "points_above_cap")

    declined = client.post(f"/api/v1/requests/{two.id}/decline", headers=headers,
                           json={"reason": "请拨打 12345"})
    assert declined.get_json()["decline_reason"] == "请拨打 12345"
    merged = client.post(f"/api/v1/requests/{three.id}/merge", headers=headers,
                         json={"into_id": one.id})
    assert (merged.get_json()["status"], merged.get_json()["merged_into_id"]) == ("merged", one.id)
    bad_merge = client.post(f"/api/v1/requests/{four.id}/merge", headers=headers,
                            json={"into_id": two.id})
    assert (bad_merge.status_code, error_of(bad_merge)) == (422, "merge_target_invalid")
    routed = client.post(f"/api/v1/requests/{four.id}/route", headers=headers,
                         json={"grid_id": world.far_grid.id})
    assert routed.get_json()["grid_id"] == world.far_grid.id


def test_residents_cannot_use_staff_endpoints(client, db, world, uploads):
    request = filed(db, uploads, world)
    headers = bearer(client, world.volunteer)
    before = snapshot(db)

    for path, body in (("publish", {"title": "x", "type_id": world.care.id, "points": "5",
                                    "deadline": (utcnow() + timedelta(days=1)).isoformat()}),
                       ("decline", {"reason": "x"}), ("merge", {"into_id": request.id}),
                       ("route", {"grid_id": world.grid.id})):
        response = client.post(f"/api/v1/requests/{request.id}/{path}", headers=headers, json=body)
        assert (response.status_code, error_of(response)) == (403, "forbidden")

    assert snapshot(db) == before


# Tasks


def test_volunteers_list_claim_start_finish_and_message(client, db, world, uploads):
    request, task = published(db, uploads, world)
    headers = bearer(client, world.volunteer)

    listed = client.get("/api/v1/tasks", headers=headers).get_json()
    assert [t["id"] for t in listed["open"]] == [task.id] and listed["mine"] == []
    assert listed["open"][0]["requester_name"] == "王**" and listed["open"][0]["requester_phone"] is None
    claimed = client.post(f"/api/v1/tasks/{task.id}/claim", headers=headers)
    assert claimed.status_code == 200
    body = claimed.get_json()
    assert body["my_place"]["status"] == "claimed" and body["requester_phone"] == world.requester.phone
    assert client.post(f"/api/v1/tasks/{task.id}/start", headers=headers).get_json()[
        "status"] == "in_progress"
    sent = client.post(f"/api/v1/tasks/{task.id}/messages", headers=headers, json={"body": "到了"})
    assert sent.status_code == 201 and sent.get_json()["author"]["id"] == world.volunteer.id
    assert client.post(f"/api/v1/tasks/{task.id}/done", headers=headers).get_json()["status"] == "done"
    mine = client.get("/api/v1/tasks", headers=headers).get_json()["mine"]
    assert [t["id"] for t in mine] == [task.id] and mine[0]["messages"][0]["body"] == "到了"
    seen = client.get(f"/api/v1/tasks/{task.id}", headers=bearer(client, world.second)).get_json()
    assert seen["messages"] == [] and seen["volunteers"] == [] and seen["my_place"] is None


def test_release_gives_the_place_back(client, db, world, uploads):
    _, task = published(db, uploads, world)
    headers = bearer(client, world.volunteer)
    client.post(f"/api/v1/tasks/{task.id}/claim", headers=headers)

    released = client.post(f"/api/v1/tasks/{task.id}/release", headers=headers)

    assert released.get_json()["places_left"] == 1 and released.get_json()["my_place"] is None


TASK_REFUSALS = [
    ("requester", "claim", 403, "own_request"),
    ("husband", "claim", 403, "own_household_request"),
    ("second", "claim", 409, "task_full"),
    ("volunteer", "claim", 409, "already_claimed"),
    ("second", "release", 403, "not_your_claim"),
    ("second", "start", 403, "not_your_claim"),
    ("second", "done", 403, "not_your_claim"),
    ("staff", "claim", 403, "forbidden"),
    ("stranger", "claim", 404, "not_found"),
]


def test_refusals_on_a_task_say_why_and_move_nothing(client, db, world, uploads):
    _, task = published(db, uploads, world)
    claim(db, world.volunteer, task, now=utcnow())
    before = snapshot(db)

    for who, path, status, code in TASK_REFUSALS:
        response = client.post(f"/api/v1/tasks/{task.id}/{path}",
                               headers=bearer(client, getattr(world, who)))
        assert (response.status_code, error_of(response)) == (status, code), (who, path)
        assert snapshot(db) == before, (who, path)


def test_messaging_a_task_one_is_not_part_of_is_403(client, db, world, uploads):
    _, task = published(db, uploads, world)
    before = snapshot(db)

    response = client.post(f"/api/v1/tasks/{task.id}/messages",
                           headers=bearer(client, world.second), json={"body": "你好"})

    assert (response.status_code, error_of(response)) == (403, "not_in_conversation")
    assert snapshot(db) == before


def test_confirming_credits_once_and_a_retry_with_the_same_key_moves_nothing(client, db, world,
                                                                            uploads):
    request, task = done(db, uploads, world)
    headers = {**bearer(client, world.requester), "Idempotency-Key": "confirm-1"}

    first = client.post(f"/api/v1/requests/{request.id}/confirm", headers=headers,
                        json={"rating": 5, "comment": "谢谢"})
    before = snapshot(db)
    retry = client.post(f"/api/v1/requests/{request.id}/confirm", headers=headers,
                        json={"rating": 5, "comment": "谢谢"})
    other = client.post(f"/api/v1/requests/{request.id}/confirm",
                        headers={**headers, "Idempotency-Key": "confirm-2"}, json={})

    assert first.status_code == 200 and first.get_json()["stage"] == CLOSED
    assert first.get_json()["task"]["volunteers"][0]["points_awarded"] == "20"
    assert "Idempotent-Replayed" not in first.headers
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert (other.status_code, error_of(other)) == (409, "already_confirmed")
    assert snapshot(db) == before
    assert balance(db, world.volunteer) == Decimal("20")


@pytest.mark.parametrize(("who", "status", "code"), [
    ("volunteer", 403, "not_your_request"), ("stranger", 404, "not_found")])
def test_confirming_someone_elses_request_is_refused(client, db, world, uploads, who, status, code):
    request, _ = done(db, uploads, world)
    before = snapshot(db)

    response = client.post(f"/api/v1/requests/{request.id}/confirm",
                           headers=bearer(client, getattr(world, who)), json={"rating": 5})

    assert (response.status_code, error_of(response)) == (status, code)
    assert snapshot(db) == before


def test_confirming_before_done_is_409_and_a_bad_key_or_rating_422(client, db, world, uploads):
    request, _ = published(db, uploads, world)
    headers = bearer(client, world.requester)
    before = snapshot(db)

    early = client.post(f"/api/v1/requests/{request.id}/confirm", headers=headers, json={})
    bad_rating = client.post(f"/api/v1/requests/{request.id}/confirm", headers=headers,
                             json={"rating": 9})
    bad_key = client.post(f"/api/v1/requests/{request.id}/confirm",
                          headers={**headers, "Idempotency-Key": "有中文"}, json={})

    assert (early.status_code, error_of(early)) == (409, "task_not_done")
    assert (bad_rating.status_code, error_of(bad_rating)) == (422, "invalid_input")
    assert (bad_key.status_code, error_of(bad_key)) == (422, "invalid_input")
    assert snapshot(db) == before


def test_staff_confirm_for_the_requester(client, db, world, uploads):
    request, task = done(db, uploads, world)

    response = client.post(f"/api/v1/requests/{request.id}/confirm",
                           headers=bearer(client, world.staff), json={"rating": 4})

    assert response.status_code == 200 and response.get_json()["task"]["rating"] == 4
    assert db.session.get(Task, task.id).confirmed_by_id == world.staff.id


def test_a_dispute_and_staffs_decision(client, db, world, uploads):
    request, task = done(db, uploads, world)

    disputed = client.post(f"/api/v1/requests/{request.id}/dispute",
                           headers=bearer(client, world.requester), json={"reason": "没去"})
    assert disputed.get_json()["stage"] == DISPUTED
    twice = client.post(f"/api/v1/requests/{request.id}/dispute",
                        headers=bearer(client, world.requester), json={"reason": "没去"})
    assert (twice.status_code, error_of(twice)) == (409, "already_disputed")
    decided = client.post(f"/api/v1/tasks/{task.id}/decide", headers=bearer(client, world.staff),
                          json={"credit": True, "reason": "电话核实去了"})

    assert decided.status_code == 200
    assert (decided.get_json()["status"], decided.get_json()["dispute_credited"]) == (CLOSED, True)
    assert balance(db, world.volunteer) == Decimal("20")
    again = client.post(f"/api/v1/tasks/{task.id}/decide", headers=bearer(client, world.staff),
                        json={"credit": False, "reason": "再来"})
    assert (again.status_code, error_of(again)) == (409, "task_not_disputed")


def test_staff_reassign_cancel_and_see_the_board(client, db, world, uploads):
    _, task = published(db, uploads, world)
    claim(db, world.volunteer, task, now=utcnow())
    headers = bearer(client, world.staff)

    board = client.get("/api/v1/tasks", headers=headers).get_json()
    assert board["open"] == [] and [t["id"] for t in board["mine"]] == [task.id]
    moved = client.post(f"/api/v1/tasks/{task.id}/reassign", headers=headers, json={
        "from_volunteer_id": world.volunteer.id, "phone": world.second.phone})
    assert {(v["volunteer"]["id"], v["status"]) for v in moved.get_json()["volunteers"]} == {
        (world.volunteer.id, "removed"), (world.second.id, "claimed")}
    unknown = client.post(f"/api/v1/tasks/{task.id}/reassign", headers=headers,
                          json={"phone": "13000000000"})
    assert (unknown.status_code, error_of(unknown)) == (422, "volunteer_unknown")
    cancelled = client.post(f"/api/v1/tasks/{task.id}/cancel", headers=headers,
                            json={"reason": "家属陪同了"})
    assert cancelled.get_json()["status"] == "cancelled"
    no_reason = client.post(f"/api/v1/tasks/{task.id}/cancel", headers=headers, json={})
    assert (no_reason.status_code, error_of(no_reason)) == (422, "invalid_input")


def test_the_figures(client, db, world, uploads):
    request, task = done(db, uploads, world)
    client.post(f"/api/v1/requests/{request.id}/confirm", headers=bearer(client, world.requester),
                json={})
    since, until = utcnow() - timedelta(days=1), utcnow() + timedelta(minutes=1)

    response = client.get("/api/v1/tasks/figures", headers=bearer(client, world.admin),
                          query_string={"since": since.isoformat(), "until": until.isoformat()})

    body = response.get_json()
    assert response.status_code == 200, body
    assert body["overall"]["received"] == 1 and body["overall"]["to_close"]["count"] == 1
    assert [row["key"] for row in body["by_grid"]] == [world.grid.id]
    assert client.get("/api/v1/tasks/figures", headers=bearer(client, world.volunteer),
                      query_string={"since": since.isoformat(),
                                    "until": until.isoformat()}).status_code == 403


def test_a_district_administrator_acts_in_the_requests_community(client, db, world, uploads):
    request = filed(db, uploads, world)
    district = factories.make_user(db.session, None, "district_admin", name="区管理员")

    response = client.post(f"/api/v1/requests/{request.id}/decline",
                           headers=bearer(client, district), json={"reason": "不属于社区服务"})

    assert response.status_code == 200
    assert db.session.get(ServiceRequest, request.id).status == "declined"
    assert count(db.session, ServiceRequest) == 1
