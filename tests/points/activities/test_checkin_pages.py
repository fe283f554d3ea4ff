"""The pages: the staff check-in desk (scan or type), the screen's rotating QR, a resident
opening it (signed in, or signing in first), and the attendance sheet."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from points.activities import checkin, checkin_rules, checkin_views
from points.activities.models import CheckIn
from points.codes import display
from points.earning.models import Credit
from points.timeutil import utcnow
from tests import factories
from tests.factories import sign_in

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def place(db):
    community = factories.make_community(db.session)
    staff = factories.make_user(db.session, community, "staff", name="陈主任")
    activity = factories.make_activity(db.session, community, created_by=staff)
    resident = factories.make_resident(db.session, community, name="王秀英")
    factories.make_signup(db.session, activity, resident)
    card = checkin.card_of(db.session, resident, now=utcnow())
    return community, staff, activity, resident, card


def checkins(db):
    return db.session.scalar(select(func.count()).select_from(CheckIn))


def desk_url(activity):
    return f"/staff/activities/{activity.id}/checkin"


def token_now(activity, now=None):
    return checkin_rules.rotating_token(activity.rotation_secret, activity.id,
                                        checkin_rules.slot_of(now or utcnow()))


# --- the desk -------------------------------------------------------------------------

def test_the_desk_has_the_camera_scanner_and_the_typed_code_field(client, place):
    _, staff, activity, _, _ = place
    sign_in(client, staff)

    page = client.get(desk_url(activity)).get_data(as_text=True)

    assert 'data-scanner' in page and "js/scanner.js" in page and 'name="code"' in page
    assert activity.title in page and f"/staff/activities/{activity.id}/screen" in page


def test_a_typed_code_checks_in_and_shows_the_masked_name_in_green(client, db, place):
    _, staff, activity, _, card = place
    sign_in(client, staff)

    response = client.post(desk_url(activity), data={"code": display(card.code).lower()})

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-test="checkin-ok"' in page
    assert "已签到 王**" in page and 'data-test="walk-in"' not in page
    assert checkins(db) == 1


def test_a_walk_in_is_shown_as_not_signed_up(client, db, place):
    community, staff, activity, _, _ = place
    walker = factories.make_resident(db.session, community, name="李建华")
    code = checkin.card_of(db.session, walker, now=utcnow()).code
    sign_in(client, staff)

    page = client.post(desk_url(activity), data={"code": f"JFM:{code}"}).get_data(as_text=True)

    assert "已签到 李**" in page and 'data-test="walk-in"' in page


@pytest.mark.parametrize("code, status, message", [
    ("K7QM2XHD4", 422, "会员码有一位不对"),
    ("K7QM", 422, "会员码是 9 位字母和数字"),
    ("ABCDEFGH" + "0", 404, "找不到这个会员码"),
])
def test_a_refused_code_is_said_in_red_and_changes_nothing(client, db, place, code, status,
                                                           message):
    _, staff, activity, _, _ = place
    from points.codes import check_char
    code = "ABCDEFGH" + check_char("ABCDEFGH") if status == 404 else code
    sign_in(client, staff)

    response = client.post(desk_url(activity), data={"code": code})

    page = response.get_data(as_text=True)
    assert response.status_code == status and 'data-test="checkin-refused"' in page
    assert message in page and checkins(db) == 0


def test_the_second_time_says_already_checked_in(client, db, place):
    _, staff, activity, _, card = place
    sign_in(client, staff)
    client.post(desk_url(activity), data={"code": card.code})

    response = client.post(desk_url(activity), data={"code": f"JFM:{card.code}"})

    assert response.status_code == 409
    assert "已经签到过了 王**" in response.get_data(as_text=True) and checkins(db) == 1


def test_the_desk_lists_who_is_checked_in(client, db, place):
    _, staff, activity, _, card = place
    sign_in(client, staff)
    client.post(desk_url(activity), data={"code": card.code})

    page = client.get(desk_url(activity)).get_data(as_text=True)

    assert "已签到（1 人）" in page and 'data-test="checked-in-person"' in page


def test_typed_codes_are_rate_limited_per_staff_member(client, db, place):
    _, staff, activity, _, _ = place
    sign_in(client, staff)
    limit = int(checkin_views.MEMBER_CODE_LIMIT.split()[0])

    statuses = [client.post(desk_url(activity), data={"code": "K7QM2XHD4"}).status_code
                for _ in range(limit + 1)]

    assert statuses[:limit] == [422] * limit and statuses[limit] == 429
    assert client.get(desk_url(activity)).status_code == 200  # looking is not limited
    other = factories.make_user(db.session, place[0], "staff", name="另一位")
    sign_in(client, other)
    assert client.post(desk_url(activity), data={"code": "K7QM2XHD4"}).status_code == 422


def test_good_scans_do_not_count_against_the_limit(client, db, place):
    community, staff, activity, _, _ = place
    limit = int(checkin_views.MEMBER_CODE_LIMIT.split()[0])
    crowd = [factories.make_resident(db.session, community, name=f"居民{n}")
             for n in range(limit + 2)]
    texts = [f"JFM:{checkin.card_of(db.session, person, now=utcnow()).code}" for person in crowd]
    sign_in(client, staff)

    statuses = {client.post(desk_url(activity), data={"code": text}).status_code for text in texts}

    assert statuses == {200} and checkins(db) == limit + 2


def test_another_communitys_activity_is_not_found_at_the_desk(client, db, place):
    other = factories.make_community(db.session, name="别的社区")
    sign_in(client, factories.make_user(db.session, other, "staff"))

    assert client.get(desk_url(place[2])).status_code == 404
    assert client.post(desk_url(place[2]), data={"code": place[4].code}).status_code == 404
    assert checkins(db) == 0


def test_residents_cannot_open_the_desk(client, place):
    sign_in(client, place[3])

    assert client.get(desk_url(place[2])).status_code == 403


# --- the screen and the resident's phone ----------------------------------------------

def test_the_screen_shows_the_rotating_qr_refreshed_by_a_script_file(client, place):
    _, staff, activity, _, _ = place
    sign_in(client, staff)

    page = client.get(f"/staff/activities/{activity.id}/screen").get_data(as_text=True)

    assert "js/rotating.js" in page and "data-rotating" in page and 'data-period="30"' in page
    assert "<script>" not in page
    image = client.get(f"/staff/activities/{activity.id}/screen.png")
    assert image.data.startswith(PNG) and image.headers["Cache-Control"] == "no-store"


def test_the_screen_qr_encodes_the_absolute_url_with_the_current_token(client, place, monkeypatch):
    _, staff, activity, _, _ = place
    encoded = []
    monkeypatch.setattr(checkin_views.qr, "rotating_png", lambda url: encoded.append(url) or PNG)
    sign_in(client, staff)

    client.get(f"/staff/activities/{activity.id}/screen.png")

    assert encoded == [f"http://localhost/activities/{activity.id}/checkin?t={token_now(activity)}"]


def test_a_signed_in_resident_opening_the_qr_url_is_checked_in(client, db, place):
    _, _, activity, resident, _ = place
    sign_in(client, resident)

    response = client.get(f"/activities/{activity.id}/checkin?t={token_now(activity)}")

    assert response.status_code == 200 and "签到成功" in response.get_data(as_text=True)
    mark = db.session.scalar(select(CheckIn))
    assert (mark.user_id, mark.method) == (resident.id, "rotating")


def test_an_old_code_is_refused_with_the_words_of_the_programme(client, db, place):
    _, _, activity, resident, _ = place
    sign_in(client, resident)
    old = token_now(activity, utcnow() - timedelta(minutes=1))

    response = client.get(f"/activities/{activity.id}/checkin?t={old}")

    assert response.status_code == 422
    assert "二维码已过期，请重新扫描屏幕上的二维码" in response.get_data(as_text=True)
    assert checkins(db) == 0


def test_a_resident_not_signed_in_signs_in_first_and_is_then_checked_in(client, db, place,
                                                                          monkeypatch):
    _, _, activity, resident, _ = place
    url = f"/activities/{activity.id}/checkin?t={token_now(activity)}"

    first = client.get(url)
    assert first.status_code == 302 and "/sign-in?next=" in first.headers["Location"]
    # Signing in takes two minutes: the code on the screen has long changed.
    later = utcnow() + timedelta(minutes=2)
    monkeypatch.setattr(checkin_views, "utcnow", lambda: later)
    signed = client.post("/sign-in?next=" + url.replace("?", "%3F").replace("=", "%3D"),
                         data={"phone": resident.phone, "password": factories.PASSWORD})
    assert signed.headers["Location"].endswith(url)

    response = client.get(url)

    assert "签到成功" in response.get_data(as_text=True) and checkins(db) == 1


def test_an_expired_code_is_refused_before_asking_to_sign_in(client, db, place):
    activity = place[2]
    old = token_now(activity, utcnow() - timedelta(minutes=1))

    response = client.get(f"/activities/{activity.id}/checkin?t={old}")

    assert response.status_code == 422 and "二维码已过期" in response.get_data(as_text=True)


def test_a_remembered_scan_counts_only_for_that_code(client, db, place, monkeypatch):
    _, _, activity, resident, _ = place
    client.get(f"/activities/{activity.id}/checkin?t={token_now(activity)}")
    sign_in(client, resident)
    other = token_now(activity, utcnow() - timedelta(minutes=1))  # an old photo

    response = client.get(f"/activities/{activity.id}/checkin?t={other}")

    assert response.status_code == 422 and checkins(db) == 0


# --- attendance -----------------------------------------------------------------------

def attendance_url(activity):
    return f"/staff/activities/{activity.id}/attendance"


def test_the_sheet_ticks_those_checked_in_and_not_those_only_signed_up(client, db, place):
    community, staff, activity, resident, card = place
    absent = factories.make_resident(db.session, community, name="李建华")
    factories.make_signup(db.session, activity, absent)
    sign_in(client, staff)
    client.post(desk_url(activity), data={"code": card.code})

    page = client.get(attendance_url(activity)).get_data(as_text=True)

    assert f'value="{resident.id}" checked' in page
    assert f'value="{absent.id}" data-test' in page and "报名了，没签到" in page
    assert f'name="hours-{resident.id}" value="2"' in page


def test_before_the_start_the_sheet_only_says_when(client, db, place):
    community, staff, _, _, _ = place
    later = factories.make_activity(db.session, community, created_by=staff,
                                    starts_at=utcnow() + timedelta(days=1))
    sign_in(client, staff)

    page = client.get(attendance_url(later)).get_data(as_text=True)

    assert 'data-test="not-started"' in page and 'data-test="confirm"' not in page


def test_confirming_on_the_page_credits_and_a_second_click_credits_nothing(client, db, place):
    community, staff, activity, resident, card = place
    sign_in(client, staff)
    client.post(desk_url(activity), data={"code": card.code})
    form = {"present": [str(resident.id)], f"hours-{resident.id}": "1.5"}

    response = client.post(attendance_url(activity), data=form)

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "+15 分" in page and "出勤已确认：1 人共获得 15 积分" in page
    again = client.post(attendance_url(activity), data=form, headers={
        "Referer": f"http://localhost{attendance_url(activity)}"})
    assert again.status_code == 302
    page = client.get(attendance_url(activity)).get_data(as_text=True)
    assert "出勤已经确认过了" in page and "+15 分" in page
    assert db.session.scalar(select(func.count()).select_from(Credit)) == 1


def test_a_bad_hours_value_is_flashed_and_moves_nothing(client, db, place):
    _, staff, activity, resident, card = place
    sign_in(client, staff)
    client.post(desk_url(activity), data={"code": card.code})

    response = client.post(attendance_url(activity), follow_redirects=True, data={
        "present": [str(resident.id)], f"hours-{resident.id}": "三"},
        headers={"Referer": f"http://localhost{attendance_url(activity)}"})

    assert "时长要大于 0" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Credit)) == 0


def test_staff_add_someone_to_the_sheet_by_member_code(client, db, place):
    community, staff, activity, _, _ = place
    helper = factories.make_resident(db.session, community, name="帮忙的")
    code = checkin.card_of(db.session, helper, now=utcnow()).code
    sign_in(client, staff)

    added = client.post(f"{attendance_url(activity)}/add", data={"code": display(code)},
                        follow_redirects=True)
    refused = client.post(f"{attendance_url(activity)}/add", data={"code": "K7QM2XHD4"},
                          follow_redirects=True)

    assert "已加入出勤名单：帮忙的" in added.get_data(as_text=True)
    assert "会员码有一位不对" in refused.get_data(as_text=True)
    assert db.session.scalar(select(CheckIn.method).where(CheckIn.user_id == helper.id)) == "staff"
