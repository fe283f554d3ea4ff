"""``GET /api/v1/audit``: the office's audit log in cursor pages, filtered as the page is."""
from datetime import timedelta

from points.audit import services
from points.extensions import unit_of_work
from points.timeutil import local, utcnow
from tests import factories


def record(session, actor, community, action="claim.approve", obj_type="claim", obj_id=1, now=None):
    with unit_of_work(session):
        return services.record(session, actor=actor, action=action, obj_type=obj_type, obj_id=obj_id,
                               after={"points": "20"}, community_id=community.id, now=now or utcnow())


def test_pages_by_cursor_are_stable_while_events_are_recorded(client, db):
    community = factories.make_community(db.session)
    staff = factories.make_user(db.session, community, "staff", name="陈主任")
    made = [record(db.session, staff, community, obj_id=n).id for n in range(1, 6)]
    headers = factories.bearer(client, staff)

    first = client.get("/api/v1/audit?limit=2", headers=headers).get_json()
    assert [e["id"] for e in first["events"]] == made[::-1][:2]
    assert first["events"][0]["actor"] == {"id": staff.id, "name": "陈主任"}
    assert first["events"][0]["after"] == {"points": "20"}
    assert first["events"][0]["action_label"]
    record(db.session, staff, community, obj_id=99)  # a newer event does not shift the next page
    second = client.get(f"/api/v1/audit?limit=2&cursor={first['next_cursor']}", headers=headers).get_json()
    third = client.get(f"/api/v1/audit?limit=2&cursor={second['next_cursor']}", headers=headers).get_json()
    assert [e["id"] for e in second["events"] + third["events"]] == made[::-1][2:]
    assert third["next_cursor"] is None


def test_filters_narrow_and_bad_ones_are_422(client, db):
    community = factories.make_community(db.session)
    staff = factories.make_user(db.session, community, "staff")
    other_staff = factories.make_user(db.session, community, "admin")
    now = utcnow()
    record(db.session, staff, community, obj_type="claim", obj_id=7, now=now - timedelta(days=3))
    record(db.session, other_staff, community, action="voucher.refund", obj_type="voucher", obj_id=7, now=now)
    headers = factories.bearer(client, staff)

    def ids(query):
        answer = client.get(f"/api/v1/audit?{query}", headers=headers)
        assert answer.status_code == 200, answer.get_json()
        return [(e["object_type"], e["actor"]["id"]) for e in answer.get_json()["events"]]

    assert ids(f"actor={other_staff.id}") == [("voucher", other_staff.id)]
    assert ids("object_type=claim&object_id=7") == [("claim", staff.id)]
    assert ids("action=voucher.refund") == [("voucher", other_staff.id)]
    today = local(now).date()
    assert ids(f"since={today.isoformat()}") == [("voucher", other_staff.id)]
    for bad in ("action=nothing", "since=2026-13-01", "cursor=!!", "limit=0", "object_id=x"):
        answer = client.get(f"/api/v1/audit?{bad}", headers=headers)
        assert answer.status_code == 422 and answer.get_json()["error"]["code"]


def test_only_the_office_of_the_community_reads_it(client, db):
    community = factories.make_community(db.session)
    staff = factories.make_user(db.session, community, "staff")
    record(db.session, staff, community)
    for role in ("resident", "merchant_owner", "grid_worker"):
        user = factories.make_user(db.session, community, role,
                                   merchant=factories.make_merchant(db.session, community)
                                   if role == "merchant_owner" else None)
        assert client.get("/api/v1/audit", headers=factories.bearer(client, user)).status_code == 403
    stranger = factories.make_user(db.session, factories.make_community(db.session), "staff")
    assert client.get("/api/v1/audit", headers=factories.bearer(client, stranger)).get_json()["events"] == []
    assert client.get(f"/api/v1/audit?community={community.code}",
                      headers=factories.bearer(client, stranger)).status_code == 403
    district = factories.bearer(client, factories.make_user(db.session, None, "district_admin"))
    assert client.get("/api/v1/audit", headers=district).status_code == 403
    assert len(client.get(f"/api/v1/audit?community={community.code}", headers=district)
               .get_json()["events"]) == 1
    assert client.get("/api/v1/audit?community=nowhere", headers=district).status_code == 404
    assert client.get("/api/v1/audit").status_code == 401
