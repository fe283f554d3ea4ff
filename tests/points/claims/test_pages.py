"""The claim pages: a resident (or her proxy) files with photos and follows her claims;
photos are served only to those who may see them; staff work the queue, decide one claim
or many, and see duplicates, caps and the response time."""
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from points import wallets
from points.claims.models import APPROVED, PENDING, REJECTED, Claim
from points.notifications.models import Notification
from points.residents import services as residents
from points.timeutil import local, utcnow
from tests import factories
from tests.factories import sign_in
from tests.points.claims.conftest import count, file_claim, photo_bytes


@pytest.fixture
def uploads(app):
    return Path(app.config["INSTANCE_PATH"]) / "uploads" / "claims"


def today():
    return local(utcnow()).date().isoformat()


def claim_form(activity_type, *files, **fields):
    data = {"type_id": str(activity_type.id), "work_day": today(), "hours": "2",
            "description": "打扫了3栋楼道", "location": "", **fields}
    data["photos"] = [(io.BytesIO(raw), name) for raw, name in files]
    return data


def post_claim(client, data):
    return client.post("/claims/new", data=data, content_type="multipart/form-data")


def file_now(db, uploads, user, activity_type, **kwargs):
    return file_claim(db, uploads, user, activity_type, now=utcnow(), **kwargs)


def text(response):
    return response.get_data(as_text=True)


def photo_status(client, url):
    with client.get(url) as response:  # closes the served file
        return response.status_code


# Residents


def test_the_home_page_links_to_filing_a_claim(client, db, place):
    sign_in(client, place.resident)
    assert 'href="/claims/new"' in text(client.get("/home"))


def test_the_form_offers_the_communitys_active_types_with_their_rules(client, db, place):
    factories.make_activity_type(db.session, place.community, name="停用的类型", active=False)
    sign_in(client, place.resident)

    page = text(client.get("/claims/new"))

    assert "环境卫生" in page and "安全隐患上报" in page and "停用的类型" not in page
    assert "每小时 10 分" in page and 'enctype="multipart/form-data"' in page
    assert f'max="{today()}"' in page


def test_a_resident_files_a_claim_with_a_photo_and_sees_it_waiting(client, db, place, uploads):
    sign_in(client, place.resident)

    response = post_claim(client, claim_form(place.cleaning, (photo_bytes("PNG"), "IMG_1.jpg")))

    claim = db.session.scalar(select(Claim))
    assert response.status_code == 302 and response.location.endswith(f"/claims/{claim.id}")
    assert claim.status == PENDING and claim.points_asked == 20
    assert [p.name for p in uploads.iterdir()] == [claim.photos[0].storage_key]
    page = text(client.get(f"/claims/{claim.id}"))
    assert "待审核" in page and "打扫了3栋楼道" in page and f"/claims/{claim.id}/photos/1" in page
    listing = text(client.get("/claims"))
    assert "环境卫生" in listing and "待审核" in listing


def test_a_refused_claim_is_explained_on_the_form_and_stores_nothing(client, db, place, uploads):
    sign_in(client, place.resident)

    response = post_claim(client, claim_form(place.cleaning, (b"hello, not a photo", "cat.jpg")))

    assert response.status_code == 200
    assert "第 1 张不是照片" in text(response)
    assert count(db.session, Claim) == 0 and (not uploads.exists() or not list(uploads.iterdir()))


def test_four_photos_on_the_form_are_refused(client, db, place, uploads):
    sign_in(client, place.resident)
    files = [(photo_bytes(seed=n), f"{n}.jpg") for n in range(4)]

    response = post_claim(client, claim_form(place.cleaning, *files))

    assert "最多只能附 3 张照片" in text(response)
    assert count(db.session, Claim) == 0 and (not uploads.exists() or not list(uploads.iterdir()))


def test_a_claim_over_the_cap_is_refused_with_what_is_left(client, db, place):
    sign_in(client, place.resident)

    response = post_claim(client, claim_form(place.cleaning, (photo_bytes(), "a.jpg"), hours="5"))

    assert "每日上限" in text(response) and "40" in text(response)
    assert count(db.session, Claim) == 0


def test_a_proxy_files_for_the_resident_from_her_account(client, db, place):
    son = factories.make_resident(db.session, place.community, name="王小明")
    residents.grant_proxy(db.session, actor=place.staff, community=place.community,
                          resident_id=place.resident.id, proxy_phone=son.phone, now=utcnow())
    sign_in(client, son)
    client.post(f"/me/acting/{place.resident.id}")

    form = text(client.get("/claims/new"))
    assert "正在代 王秀英 申报" in form and f'value="{place.resident.id}"' in form
    post_claim(client, claim_form(place.mediation, acting_for=str(place.resident.id)))

    claim = db.session.scalar(select(Claim))
    assert (claim.user_id, claim.filed_by_id) == (place.resident.id, son.id)
    assert client.get(f"/claims/{claim.id}").status_code == 200


def test_a_resident_cannot_open_anothers_claim(client, db, place, uploads):
    claim = file_now(db, uploads, place.neighbour, place.cleaning)
    sign_in(client, place.resident)

    assert client.get(f"/claims/{claim.id}").status_code == 404
    assert photo_status(client, f"/claims/{claim.id}/photos/1") == 404


# Photos


def test_the_claimant_gets_her_photo_privately_cached(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.cleaning)
    sign_in(client, place.resident)

    with client.get(f"/claims/{claim.id}/photos/1") as response:
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.headers["Cache-Control"].startswith("private")
        assert "public" not in response.headers["Cache-Control"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.data == (uploads / claim.photos[0].storage_key).read_bytes()
    assert photo_status(client, f"/claims/{claim.id}/photos/2") == 404


@pytest.mark.parametrize("who, status", [
    ("staff", 200), ("grid_worker", 200), ("far_grid_worker", 404), ("neighbour", 404),
    ("stranger", 404)])
def test_photos_are_served_to_staff_in_reach_only(client, db, place, uploads, who, status):
    claim = file_now(db, uploads, place.resident, place.cleaning)
    if who == "stranger":
        viewer = factories.make_user(db.session, factories.make_community(db.session), "staff")
    else:
        viewer = getattr(place, who)
    sign_in(client, viewer)

    assert photo_status(client, f"/claims/{claim.id}/photos/1") == status


def test_photos_need_signing_in(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.cleaning)
    assert photo_status(client, f"/claims/{claim.id}/photos/1") == 302


def test_a_live_proxy_sees_the_photo_and_a_revoked_one_does_not(client, db, place, uploads):
    daughter = factories.make_resident(db.session, place.community, name="王小红")
    grant = residents.grant_proxy(db.session, actor=place.staff, community=place.community,
                                  resident_id=place.resident.id, proxy_phone=daughter.phone,
                                  now=utcnow())
    claim = file_now(db, uploads, place.resident, place.cleaning)
    sign_in(client, daughter)
    assert photo_status(client, f"/claims/{claim.id}/photos/1") == 200

    residents.revoke_proxy(db.session, actor=place.staff, community=place.community,
                           grant_id=grant.id, now=utcnow())
    assert photo_status(client, f"/claims/{claim.id}/photos/1") == 404


# Staff


def test_residents_may_not_open_the_queue(client, db, place):
    sign_in(client, place.resident)
    assert client.get("/staff/claims").status_code == 403


def test_the_queue_shows_waiting_times_and_the_response_time(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.mediation)
    sign_in(client, place.staff)

    page = text(client.get("/staff/claims"))

    assert f'data-id="{claim.id}"' in page
    assert re.search(r"已等待 \d+ 分钟", page)
    assert "近30天还没有处理完的申报" in page and "承诺 15 分钟" in page
    assert 'href="/staff/claims"' in page  # the staff navigation shows 审核


def test_the_queue_shows_the_median_once_claims_are_decided(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.mediation)
    sign_in(client, place.staff)
    client.post(f"/staff/claims/{claim.id}/approve", data={"points": "20", "note": ""})

    page = text(client.get("/staff/claims"))

    assert re.search(r"近30天中位响应 \d+ 分钟 / 承诺 15 分钟", page)
    assert "没有等待审核的申报" in page


def test_a_grid_worker_sees_only_the_claims_of_their_grids(client, db, place, uploads):
    mine = file_now(db, uploads, place.resident, place.mediation)
    theirs = file_now(db, uploads, place.neighbour, place.mediation)
    sign_in(client, place.grid_worker)

    page = text(client.get("/staff/claims"))

    assert f'data-id="{mine.id}"' in page and f'data-id="{theirs.id}"' not in page
    assert client.get(f"/staff/claims/{theirs.id}").status_code == 404


def test_the_detail_shows_photos_the_duplicate_flag_and_caps_left(client, db, place, uploads):
    picture = photo_bytes(seed=77)
    first = file_now(db, uploads, place.neighbour, place.cleaning, photos=[picture])
    second = file_now(db, uploads, place.resident, place.cleaning, photos=[picture], hours="1")
    sign_in(client, place.staff)

    page = text(client.get(f"/staff/claims/{second.id}"))

    assert f"第 1 张照片和申报 #{first.id} 的照片一样" in page
    assert f"这张照片在申报 #{first.id} 里用过" in page
    assert "上限还剩" in page and "40 分" in page and "不设上限" in page
    assert 'data-test="approve-form"' in page and 'value="10"' in page
    queue = text(client.get("/staff/claims"))
    assert "⚠ 照片重复" in queue
    # The claimant is not told which other claim it was.
    sign_in(client, place.resident)
    assert f"#{first.id}" not in text(client.get(f"/claims/{second.id}"))


def test_staff_approve_and_the_resident_sees_points_and_approver(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.cleaning)
    sign_in(client, place.staff)

    response = client.post(f"/staff/claims/{claim.id}/approve", data={"points": "20", "note": ""})

    assert response.status_code == 302 and response.location.endswith("/staff/claims")
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == APPROVED
    assert wallets.wallet_balance(db.session, place.resident).balance == 20
    sign_in(client, place.resident)
    page = text(client.get(f"/claims/{claim.id}"))
    assert "已通过" in page and "已记入积分 20 分" in page and "陈主任" in page
    assert "获得 20 积分" in text(client.get("/notifications"))


def test_a_changed_amount_without_a_reason_is_refused_on_the_page(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.cleaning)
    sign_in(client, place.staff)

    response = client.post(f"/staff/claims/{claim.id}/approve", data={"points": "15", "note": ""},
                           follow_redirects=True)

    assert "改动积分时请写明原因" in text(response)
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == PENDING


def test_staff_reject_with_a_reason_and_the_resident_reads_it(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.cleaning)
    sign_in(client, place.staff)
    empty = client.post(f"/staff/claims/{claim.id}/reject", data={"reason": ""},
                        follow_redirects=True)
    assert "请填写不通过的原因" in text(empty)

    client.post(f"/staff/claims/{claim.id}/reject", data={"reason": "照片模糊，请重新拍"})

    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == REJECTED
    sign_in(client, place.resident)
    assert "照片模糊，请重新拍" in text(client.get(f"/claims/{claim.id}"))
    assert db.session.scalar(select(Notification)).kind == "claim_rejected"


def test_a_household_member_sees_why_they_may_not_decide(client, db, place, uploads):
    claim = file_now(db, uploads, place.resident, place.mediation)
    sign_in(client, place.spouse)

    page = text(client.get(f"/staff/claims/{claim.id}"))
    assert "不能审核自己家里人的申报" in page and 'data-test="approve-form"' not in page

    response = client.post(f"/staff/claims/{claim.id}/approve", data={"points": "20"},
                           follow_redirects=True)
    assert "不能审核自己家里人的申报" in text(response)
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == PENDING


def test_the_first_approver_is_told_a_second_is_needed(client, db, place, uploads):
    big = factories.make_activity_type(db.session, place.community, name="大扫除",
                                       unit="participation", points="150",
                                       second_approval_above="100")
    claim = file_now(db, uploads, place.resident, big)
    sign_in(client, place.staff)
    assert "还要另一位工作人员复核" in text(client.get(f"/staff/claims/{claim.id}"))

    first = client.post(f"/staff/claims/{claim.id}/approve", data={"points": "150"},
                        follow_redirects=True)
    assert "已初审通过，等待另一位工作人员复核" in text(first)
    again = text(client.get(f"/staff/claims/{claim.id}"))
    assert "您已经初审通过了这份申报" in again and 'data-test="approve-form"' not in again

    sign_in(client, place.second_staff)
    client.post(f"/staff/claims/{claim.id}/approve", data={"points": "150"})
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == APPROVED
    sign_in(client, place.resident)
    page = text(client.get(f"/claims/{claim.id}"))
    assert "陈主任" in page and "周书记" in page and "已记入积分 150 分" in page


def test_approving_many_from_the_queue_reports_each_claim(client, db, place, uploads):
    ok = file_now(db, uploads, place.neighbour, place.mediation)
    household = file_now(db, uploads, place.resident, place.mediation)
    sign_in(client, place.spouse)

    response = client.post("/staff/claims/approve",
                           data={"claim_ids": [str(ok.id), str(household.id)]})

    page = text(response)
    assert response.status_code == 200
    assert "通过 1 份，进入复核 0 份，未能通过 1 份" in page
    assert f"申报 #{household.id}：不能审核自己家里人的申报" in page
    db.session.expire_all()
    assert [db.session.get(Claim, c.id).status for c in (ok, household)] == [APPROVED, PENDING]


def test_approving_none_from_the_queue_says_so(client, db, place):
    sign_in(client, place.staff)
    response = client.post("/staff/claims/approve", data={}, follow_redirects=True)
    assert "请先勾选要通过的申报" in text(response)


def test_the_filing_form_needs_its_csrf_token(csrf_client):
    client, session = csrf_client
    community = factories.make_community(session)
    resident = factories.make_resident(session, community)
    talk = factories.make_activity_type(session, community, name="矛盾调解", unit="participation")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(client.get("/sign-in"))).group(1)
    client.post("/sign-in", data={"phone": resident.phone, "password": factories.PASSWORD,
                                  "csrf_token": token})

    refused = post_claim(client, claim_form(talk))
    form = text(client.get("/claims/new"))
    form_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    accepted = post_claim(client, claim_form(talk, csrf_token=form_token,
                                             acting_for=str(resident.id)))

    assert (refused.status_code, accepted.status_code) == (400, 302)
    assert count(session, Claim) == 1
