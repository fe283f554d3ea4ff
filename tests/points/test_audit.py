"""操作记录: every staff action leaves one append-only event naming who, when, what and the
values before and after, written in the action's own transaction."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from points.audit import rules, services as audit
from points.audit.models import AuditEvent
from points.extensions import unit_of_work
from points.residents import importing, services as residents
from points.timeutil import utcnow
from tests import factories
from tests.factories import sign_in
from tests.points.test_import_residents import xlsx_bytes


@pytest.fixture
def office(db):
    community = factories.make_community(db.session)
    grid = factories.make_grid(db.session, community, name="东街网格")
    staff = factories.make_user(db.session, community, "staff", name="李干事")
    return community, grid, staff


def events(db, **where):
    stmt = (select(AuditEvent).filter_by(**where).order_by(AuditEvent.id)
            .execution_options(all_communities=True))
    return list(db.session.scalars(stmt))


def record(db, community, actor, action="resident.register", now=None, **values):
    with unit_of_work(db.session):
        event = audit.record(db.session, actor=actor, action=action, obj_type="user", obj_id=1,
                             community_id=community.id, now=now or utcnow(), **values)
    return event


def register(db, office, phone="13811112222", name="王秀英"):
    community, grid, staff = office
    return residents.register_resident(db.session, actor=staff, community=community, name=name,
                                       phone=phone, grid_id=grid.id, address="1栋101",
                                       relation="户主", now=utcnow())


def test_jsonable_keeps_decimals_exact_as_strings_and_dates_as_iso():
    moment = utcnow()

    value = rules.jsonable({"points": Decimal("12.50"), "at": moment,
                            "items": [Decimal("1"), {"day": date(2026, 1, 2)}], "ok": True})

    assert value == {"points": "12.50", "at": moment.isoformat(),
                     "items": ["1", {"day": "2026-01-02"}], "ok": True}
    with pytest.raises(TypeError):
        rules.jsonable({"points": 1.5})


def test_an_event_recorded_in_a_rolled_back_transaction_leaves_nothing(db, office):
    community, _, staff = office

    with pytest.raises(RuntimeError):
        with unit_of_work(db.session):
            audit.record(db.session, actor=staff, action="resident.register", obj_type="user",
                         obj_id=1, community_id=community.id, now=utcnow())
            raise RuntimeError("the action failed")

    assert events(db) == []


def test_decimal_values_are_stored_as_strings(db, office):
    community, _, staff = office

    event_id = record(db, community, staff, before={"points": Decimal("100")},
                      after={"points": Decimal("150.00")}, reason="更正").id
    db.session.expire_all()

    stored = db.session.get(AuditEvent, event_id)
    assert stored.before == {"points": "100"} and stored.after == {"points": "150.00"}
    assert stored.reason == "更正" and stored.actor_id == staff.id


def test_registering_a_resident_records_who_and_the_new_resident(db, office):
    community, _, staff = office

    user = register(db, office).user

    [event] = events(db, action="resident.register")
    assert (event.actor_id, event.community_id, event.object_type, event.object_id) == (
        staff.id, community.id, "user", user.id)
    assert event.after["name"] == "王秀英" and event.after["phone"] == "138****2222"
    assert event.after["address"] == "1栋101" and event.after["source"] == "form"
    assert event.before is None


def test_a_bulk_import_records_one_event_per_resident(db, office):
    community, _, staff = office

    report = importing.import_residents(
        db.session, actor=staff, community=community, max_bytes=5 * 1024 * 1024, now=utcnow(),
        data=xlsx_bytes([["王秀英", "13811112222", "东街网格", "1栋101", ""],
                         ["张建国", "13811113333", "东街网格", "2栋202", ""]]))

    assert report.imported
    recorded = events(db, action="resident.register")
    assert [event.after["name"] for event in recorded] == ["王秀英", "张建国"]
    assert {event.after["source"] for event in recorded} == {"import"}


def test_granting_and_revoking_a_proxy_each_record_one_event(db, office):
    community, _, staff = office
    mother = register(db, office).user
    son = factories.make_resident(db.session, community, name="王小明", phone="13822223333")

    grant = residents.grant_proxy(db.session, actor=staff, community=community,
                                  resident_id=mother.id, proxy_phone=son.phone, relation="子女",
                                  now=utcnow())
    residents.revoke_proxy(db.session, actor=staff, community=community, grant_id=grant.id,
                           now=utcnow())
    residents.revoke_proxy(db.session, actor=staff, community=community, grant_id=grant.id,
                           now=utcnow())  # changes nothing, records nothing

    [granted] = events(db, action="proxy.grant")
    [revoked] = events(db, action="proxy.revoke")
    assert (granted.actor_id, granted.object_type, granted.object_id) == (
        staff.id, "proxy_grant", grant.id)
    assert granted.before is None
    assert granted.after["proxy_id"] == son.id and granted.after["relation"] == "子女"
    assert revoked.before["revoked_at"] is None and revoked.after["revoked_at"] is not None


def test_search_filters_and_pages_newest_first_by_cursor(db, office):
    community, _, staff = office
    other_staff = factories.make_user(db.session, community, "admin", name="赵主任")
    now = utcnow()
    old = record(db, community, staff, now=now - timedelta(days=3))
    middle = record(db, community, other_staff, action="proxy.grant", now=now - timedelta(days=1))
    new = record(db, community, staff, now=now)

    everything = audit.search(db.session, community_id=community.id)
    first_page = audit.search(db.session, community_id=community.id, limit=2)
    second_page = audit.search(db.session, community_id=community.id, limit=2,
                               before_id=first_page[-1].id)

    assert [e.id for e in everything] == [new.id, middle.id, old.id]
    assert [e.id for e in first_page] == [new.id, middle.id]
    assert [e.id for e in second_page] == [old.id]
    assert [e.id for e in audit.search(db.session, community_id=community.id,
                                       actor_id=other_staff.id)] == [middle.id]
    assert [e.id for e in audit.search(db.session, community_id=community.id,
                                       action="resident.register")] == [new.id, old.id]
    assert [e.id for e in audit.search(db.session, community_id=community.id,
                                       since=now - timedelta(days=2),
                                       until=now - timedelta(hours=1))] == [middle.id]


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET reason = 'changed'",
                                       "DELETE FROM audit_events"])
def test_audit_events_cannot_be_changed_or_deleted_even_by_raw_sql(db, office, statement):
    community, _, staff = office
    record(db, community, staff, reason="原样")

    with pytest.raises(DBAPIError):
        with unit_of_work(db.session):
            db.session.execute(text(statement))

    [event] = events(db)
    assert event.reason == "原样"


def test_residents_may_not_open_the_audit_page(client, db, office):
    community, _, _ = office
    sign_in(client, factories.make_resident(db.session, community))

    assert client.get("/staff/audit").status_code == 403


def test_the_page_shows_only_the_own_communitys_events(client, db, office):
    community, _, staff = office
    register(db, office, name="王秀英")
    elsewhere = factories.make_community(db.session, name="南湖社区")
    grid = factories.make_grid(db.session, elsewhere)
    other_staff = factories.make_user(db.session, elsewhere, "staff")
    residents.register_resident(db.session, actor=other_staff, community=elsewhere, name="陈外人",
                                phone="13899990000", grid_id=grid.id, address="9栋9",
                                now=utcnow())
    sign_in(client, staff)

    page = client.get("/staff/audit").get_data(as_text=True)

    assert "王秀英" in page and "李干事" in page
    assert "陈外人" not in page
    assert page.count('data-test="event"') == 1


def test_the_page_filters_by_person_and_links_to_earlier_records(client, db, office, monkeypatch):
    community, _, staff = office
    monkeypatch.setattr(audit, "PAGE_SIZE", 1)
    register(db, office, phone="13811112222", name="王秀英")
    register(db, office, phone="13811113333", name="张建国")
    sign_in(client, factories.make_user(db.session, community, "admin"))

    first = client.get(f"/staff/audit?actor={staff.id}").get_data(as_text=True)
    assert "张建国" in first and "王秀英" not in first and "更早的记录" in first
    earlier = client.get(f"/staff/audit?actor={staff.id}&before={events(db)[-1].id}")
    assert "王秀英" in earlier.get_data(as_text=True)
    nobody = client.get("/staff/audit?actor=999999").get_data(as_text=True)
    assert 'data-test="none"' in nobody
