"""Member cards: one code per wallet holder, issued on first need, shown as a QR and a
printable card; staff print and reissue a resident's card (the old code stops working)."""
import pytest
from sqlalchemy import func, select

from points import codes
from points.activities import checkin, checkin_rules
from points.activities.checkin_errors import MemberCardNotFoundError, NoMemberCardError
from points.activities.models import MemberCard
from points.audit.models import AuditEvent
from points.errors import NotFoundError
from points.residents import services as residents
from points.timeutil import utcnow
from tests import factories
from tests.factories import sign_in

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def people(db):
    community = factories.make_community(db.session)
    grid = factories.make_grid(db.session, community)
    home = factories.make_household(db.session, community, grid)
    resident = factories.make_resident(db.session, community, name="王秀英", household=home)
    staff = factories.make_user(db.session, community, "staff", name="陈主任")
    return community, grid, resident, staff


def cards(db):
    return db.session.scalar(select(func.count()).select_from(MemberCard))


def test_a_card_is_issued_on_first_need_and_stays_the_same(db, people):
    resident = people[2]

    first = checkin.card_of(db.session, resident, now=utcnow())
    again = checkin.card_of(db.session, resident, now=utcnow())

    assert first.code == again.code and cards(db) == 1
    assert len(first.code) == checkin_rules.MEMBER_CODE_LENGTH and codes.is_valid(first.code)
    assert checkin_rules.member_code_in(codes.display(first.code)) == first.code


def test_shop_staff_who_volunteer_have_a_card_too_but_office_staff_do_not(db, people):
    community, _, _, staff = people
    clerk = factories.make_user(db.session, community, "merchant_clerk",
                                merchant=factories.make_merchant(db.session, community))

    assert checkin.card_of(db.session, clerk, now=utcnow()).user_id == clerk.id
    with pytest.raises(NoMemberCardError):
        checkin.card_of(db.session, staff, now=utcnow())


def test_a_code_that_collides_with_an_existing_card_is_drawn_again(db, people, monkeypatch):
    community, _, resident, _ = people
    other = factories.make_resident(db.session, community)
    taken = checkin.card_of(db.session, other, now=utcnow())
    fresh = iter([taken.code, "ABCDEFGH" + codes.check_char("ABCDEFGH")])
    monkeypatch.setattr(codes, "new_code", lambda: next(fresh))

    card = checkin.card_of(db.session, resident, now=utcnow())

    assert card.code == "ABCDEFGH" + codes.check_char("ABCDEFGH") and cards(db) == 2


def test_a_code_lost_to_a_concurrent_insert_is_retried(db, people, monkeypatch):
    """Another card took the code between the check and the insert: the unique index
    refuses it and the next attempt draws again."""
    community, _, resident, _ = people
    other = factories.make_resident(db.session, community)
    taken = checkin.card_of(db.session, other, now=utcnow())
    fresh = iter([taken.code, "ABCDEFGH" + codes.check_char("ABCDEFGH")])
    monkeypatch.setattr(checkin, "_unused_code", lambda session: next(fresh))

    assert checkin.card_of(db.session, resident, now=utcnow()).code.startswith("ABCDEFGH")


def test_staff_reissue_a_card_and_the_old_one_stops_working(db, people):
    community, _, resident, staff = people
    old = checkin.card_of(db.session, resident, now=utcnow()).code
    activity = factories.make_activity(db.session, community, created_by=staff)

    card = checkin.reissue_card(db.session, actor=staff, community=community,
                                user_id=resident.id, now=utcnow())

    assert card.code != old and cards(db) == 1
    with pytest.raises(MemberCardNotFoundError):
        checkin.check_in_member(db.session, actor=staff, community_id=community.id,
                                activity_id=activity.id, scanned=old, now=utcnow())
    assert checkin.check_in_member(db.session, actor=staff, community_id=community.id,
                                   activity_id=activity.id, scanned=card.code,
                                   now=utcnow()).person.id == resident.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member_card.reissue"))
    assert (event.actor_id, event.object_type, event.object_id) == (
        staff.id, "member_card", resident.id)
    assert event.before["code"] == checkin_rules.masked_code(old) != event.after["code"]
    assert old not in str(event.before) and card.code not in str(event.after)


def test_a_grid_worker_reissues_only_within_their_grids(db, people):
    community, grid, resident, _ = people
    outsider = factories.make_user(db.session, community, "grid_worker",
                                   grids=[factories.make_grid(db.session, community)])
    old = checkin.card_of(db.session, resident, now=utcnow()).code

    with pytest.raises(NotFoundError):
        checkin.reissue_card(db.session, actor=outsider, community=community,
                             user_id=resident.id, now=utcnow())
    db.session.expire_all()
    assert checkin.find_card(db.session, resident).code == old
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


# --- pages ----------------------------------------------------------------------------

def test_my_card_page_shows_the_qr_and_the_code_in_groups(client, db, people):
    resident = people[2]
    sign_in(client, resident)

    page = client.get("/me/card").get_data(as_text=True)

    code = checkin.find_card(db.session, resident).code
    assert codes.display(code) in page and 'src="/me/card.png"' in page
    assert "/me/card/print" in page
    image = client.get("/me/card.png")
    assert image.mimetype == "image/png" and image.data.startswith(PNG)
    assert image.headers["Cache-Control"] == "no-store"


def test_the_printable_card_has_a_print_button(client, db, people):
    sign_in(client, people[2])

    page = client.get("/me/card/print").get_data(as_text=True)

    assert "data-print" in page and 'data-test="member-card"' in page and "王秀英" in page


def test_a_proxy_sees_the_card_of_the_resident_they_act_for(client, db, people):
    community, _, mother, staff = people
    son = factories.make_resident(db.session, community, name="王小明")
    residents.grant_proxy(db.session, actor=staff, community=community, resident_id=mother.id,
                          proxy_phone=son.phone, now=utcnow())
    sign_in(client, son)
    client.post(f"/me/acting/{mother.id}")

    page = client.get("/me/card").get_data(as_text=True)

    assert codes.display(checkin.find_card(db.session, mother).code) in page
    assert "王秀英 的会员码" in page and checkin.find_card(db.session, son) is None


def test_office_staff_have_no_card_page(client, people):
    sign_in(client, people[3])

    assert client.get("/me/card").status_code == 403


def test_staff_print_and_reissue_a_residents_card_from_the_detail_page(client, db, people):
    community, _, resident, staff = people
    sign_in(client, staff)

    detail = client.get(f"/staff/residents/{resident.id}").get_data(as_text=True)
    assert f"/staff/residents/{resident.id}/card" in detail
    page = client.get(f"/staff/residents/{resident.id}/card").get_data(as_text=True)
    old = checkin.find_card(db.session, resident).code
    assert codes.display(old) in page and 'data-test="reissue"' in page
    assert client.get(f"/staff/residents/{resident.id}/card.png").data.startswith(PNG)

    response = client.post(f"/staff/residents/{resident.id}/card/reissue", follow_redirects=True)

    db.session.expire_all()
    new = checkin.find_card(db.session, resident).code
    assert new != old and codes.display(new) in response.get_data(as_text=True)
    assert "已换发新会员卡" in response.get_data(as_text=True)


def test_another_communitys_staff_cannot_see_or_reissue_the_card(client, db, people):
    resident = people[2]
    other = factories.make_community(db.session, name="别的社区")
    sign_in(client, factories.make_user(db.session, other, "staff"))

    assert client.get(f"/staff/residents/{resident.id}/card").status_code == 404
    assert client.post(f"/staff/residents/{resident.id}/card/reissue").status_code == 404
    assert cards(db) == 0
