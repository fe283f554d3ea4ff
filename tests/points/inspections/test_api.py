"""``/api/v1/inspections`` over HTTP with bearer tokens: read a grid's month, score it
(201; the same month again 200 and nothing moves), correct a score (office staff)."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ledger.models import Transfer
from points.audit.models import AuditEvent
from points.inspections import rules, services
from points.inspections.models import InspectionScore
from points.timeutil import utcnow
from tests import factories
from tests.factories import bearer
from tests.points.inspections.conftest import FAIL, PASS

URL = "/api/v1/inspections"


@pytest.fixture
def month():
    return rules.month_of(utcnow())


def body(town, month, entries, grid=None):
    return {"grid_id": (grid or town.red).id, "month": month,
            "scores": [{"household_id": home.id, **values} for home, values in entries]}


def error_of(response):
    payload = response.get_json()
    assert set(payload) == {"error"}, payload
    return payload["error"]


def moved(db):
    return (db.session.scalar(select(func.count()).select_from(Transfer)),
            db.session.scalar(select(func.count()).select_from(InspectionScore)))


def test_scoring_a_grid_answers_201_with_each_result(client, db, town, month):
    response = client.post(URL, headers=bearer(client, town.worker),
                           json=body(town, month, [(town.homes[0], PASS), (town.homes[1], FAIL)]))

    assert response.status_code == 201
    payload = response.get_json()
    assert (payload["grid_id"], payload["month"]) == (town.red.id, month)
    first, second = payload["results"]
    assert (first["address"], first["passed"], first["points"], first["total"], first["created"],
            first["revision"]) == ("1栋101", True, "20", 24, True, 1)
    assert (second["passed"], second["points"], second["created"]) == (False, None, True)
    assert services.household_standing(db.session, town.homes[0]).points == Decimal("20")


def test_the_same_month_again_answers_200_with_the_existing_results_and_moves_nothing(
        client, db, town, month):
    headers = bearer(client, town.admin)
    first = client.post(URL, headers=headers, json=body(town, month, [(town.homes[0], PASS)]))
    before = moved(db)

    again = client.post(URL, headers=headers, json=body(town, month, [(town.homes[0], FAIL)]))

    assert again.status_code == 200
    [result] = again.get_json()["results"]
    assert (result["id"], result["passed"], result["created"]) == (
        first.get_json()["results"][0]["id"], True, False)
    assert moved(db) == before


def test_a_new_household_in_a_scored_month_answers_201_and_keeps_the_rest(client, db, town, month):
    headers = bearer(client, town.admin)
    client.post(URL, headers=headers, json=body(town, month, [(town.homes[0], PASS)]))

    response = client.post(URL, headers=headers, json=body(
        town, month, [(town.homes[0], FAIL), (town.homes[2], PASS)]))

    assert response.status_code == 201
    assert [r["created"] for r in response.get_json()["results"]] == [False, True]


def test_reading_a_grids_month_lists_results_and_households_still_to_score(client, db, town,
                                                                           month):
    headers = bearer(client, town.worker)
    client.post(URL, headers=headers, json=body(town, month, [(town.homes[1], PASS)]))

    response = client.get(URL, headers=headers, query_string={"grid_id": town.red.id,
                                                              "month": month})

    assert response.status_code == 200
    payload = response.get_json()
    assert payload["policy"] == {"item_min": 6, "total_min": 24, "points": "20"}
    assert [r["address"] for r in payload["results"]] == ["1栋102"]
    assert payload["pending"] == [{"household_id": town.homes[0].id, "address": "1栋101"},
                                  {"household_id": town.homes[2].id, "address": "1栋103"}]


@pytest.mark.parametrize("change, status, code", [
    ({"month": "2099-01"}, 422, "future_month"),
    ({"month": "2026-13"}, 422, "invalid_input"),
    ({"scores": []}, 422, "invalid_input"),
    ({"scores": [{"household_id": 1, "personal": 11, "home": 8, "public": 8}]}, 422,
     "invalid_input"),
    ({"scores": [{"household_id": 1, "personal": "8", "home": 8, "public": 8}]}, 422,
     "invalid_input"),
    ({"grid_id": 2**40}, 422, "invalid_input"),
])
def test_bad_input_is_refused_and_moves_nothing(client, db, town, month, change, status, code):
    response = client.post(URL, headers=bearer(client, town.admin),
                           json={**body(town, month, [(town.homes[0], PASS)]), **change})

    assert response.status_code == status and error_of(response)["code"] == code
    assert moved(db) == (0, 0)


def test_the_same_household_twice_is_refused(client, db, town, month):
    response = client.post(URL, headers=bearer(client, town.admin), json=body(
        town, month, [(town.homes[0], PASS), (town.homes[0], FAIL)]))

    assert response.status_code == 422 and error_of(response)["code"] == "duplicate_household"
    assert moved(db) == (0, 0)


def test_a_household_of_another_grid_is_404_and_moves_nothing(client, db, town, month):
    response = client.post(URL, headers=bearer(client, town.admin),
                           json=body(town, month, [(town.east_home, PASS)]))

    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert moved(db) == (0, 0)


def test_a_grid_worker_gets_404_for_another_grid(client, db, town, month):
    headers = bearer(client, town.worker)

    read = client.get(URL, headers=headers, query_string={"grid_id": town.east.id,
                                                          "month": month})
    write = client.post(URL, headers=headers,
                        json=body(town, month, [(town.east_home, PASS)], grid=town.east))

    assert (read.status_code, write.status_code) == (404, 404)
    assert moved(db) == (0, 0)


def test_residents_get_403_and_strangers_401(client, db, town, month):
    resident = client.post(URL, headers=bearer(client, town.members[0]),
                           json=body(town, month, [(town.homes[0], PASS)]))
    anonymous = client.get(URL, query_string={"grid_id": town.red.id, "month": month})

    assert (resident.status_code, anonymous.status_code) == (403, 401)
    assert moved(db) == (0, 0)


def test_a_district_administrator_acts_in_the_grids_community(client, db, town, month):
    district = factories.make_user(db.session, None, "district_admin")

    response = client.post(URL, headers=bearer(client, district),
                           json=body(town, month, [(town.homes[0], PASS)]))

    assert response.status_code == 201
    assert services.household_standing(db.session, town.homes[0]).points == Decimal("20")


def scored_id(client, town, month, values=FAIL):
    response = client.post(URL, headers=bearer(client, town.admin),
                           json=body(town, month, [(town.homes[0], values)]))
    return response.get_json()["results"][0]["id"]


def test_office_staff_correct_a_score(client, db, town, month):
    score_id = scored_id(client, town, month)

    response = client.post(f"{URL}/scores/{score_id}/correct", headers=bearer(client, town.admin),
                           json={**PASS, "reason": "复查时看错了", "revision": 1})

    assert response.status_code == 200
    payload = response.get_json()
    assert (payload["passed"], payload["points"], payload["revision"],
            payload["correction_reason"]) == (True, "20", 2, "复查时看错了")
    assert services.household_standing(db.session, town.homes[0]).points == Decimal("20")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "inspection.correct"))
    assert (event.before["result"], event.after["result"]) == ("not_clean", "clean")


@pytest.mark.parametrize("payload, status, code", [
    ({"reason": ""}, 422, "invalid_input"),
    ({"reason": "   "}, 422, "reason_required"),
    ({"home": 9, "personal": 9, "public": 5}, 422, "nothing_changed"),
    ({"revision": 2}, 409, "score_changed"),
])
def test_a_refused_correction_moves_nothing(client, db, town, month, payload, status, code):
    score_id = scored_id(client, town, month)
    before = moved(db)

    response = client.post(f"{URL}/scores/{score_id}/correct", headers=bearer(client, town.admin),
                           json={**PASS, "reason": "复查", **payload})

    assert response.status_code == status and error_of(response)["code"] == code
    assert moved(db) == before


def test_grid_workers_get_403_on_corrections(client, db, town, month):
    score_id = scored_id(client, town, month)

    response = client.post(f"{URL}/scores/{score_id}/correct",
                           headers=bearer(client, town.worker), json={**PASS, "reason": "改"})

    assert response.status_code == 403
    assert moved(db) == (0, 1)


def test_an_unknown_score_is_404(client, db, town):
    response = client.post(f"{URL}/scores/999/correct", headers=bearer(client, town.admin),
                           json={**PASS, "reason": "改"})

    assert response.status_code == 404


def test_the_api_is_described_in_the_openapi_spec(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert {"get", "post"} <= set(paths["/api/v1/inspections"])
    assert "post" in paths["/api/v1/inspections/scores/{score_id}/correct"]
