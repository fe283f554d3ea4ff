"""The clerk's scan page, the voucher's own URL ``/v/<token>`` and the rate limit on wrong
codes, over HTTP: each result in words, green or red, and nothing moved on a refusal."""
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from PIL import Image

import ledger
from merchants import qr, services
from merchants.models import CANCELLED, HELD, REDEEMED, Voucher
from points import wallets
from points.auth.models import ProxyGrant
from points.extensions import unit_of_work
from points.qr import qr_png
from points.residents.acting import acting_as_self
from points.timeutil import utcnow
from tests.factories import make_held_voucher, make_scan_world, make_user, sign_in
from tests.merchants.test_redeem_scanned import shop_points

SECRET = "test-secret-key"  # TestConfig's


@pytest.fixture
def world(db):
    world = make_scan_world(db.session)
    world.voucher = make_held_voucher(db.session, world.resident, world.shop, points="120")
    return world


def text_of(response):
    return response.get_data(as_text=True)


def outcome_of(response):
    found = re.search(r'data-outcome="(\w+)"', text_of(response))
    return found and found[1]


def moved(db, world, voucher):
    """What a scan could move, to compare before and after."""
    db.session.expire_all()
    return (wallets.wallet_balance(db.session, world.resident), shop_points(db.session, world.shop),
            db.session.get(Voucher, voucher.id).status)


def scan(client, code):
    return client.post("/merchant/scan", data={"code": code})


def refused(client, db, world, voucher, code, status, words):
    before = moved(db, world, voucher)
    response = scan(client, code)
    assert response.status_code == status, text_of(response)
    assert outcome_of(response) == "refused"
    assert words in text_of(response)
    assert "继续扫码" in text_of(response)
    assert moved(db, world, voucher) == before
    return response


# The scan page -------------------------------------------------------------------------

def test_the_scan_page_starts_the_camera_with_typing_and_a_photo_as_fallbacks(client, world):
    sign_in(client, world.clerk)

    page = text_of(client.get("/merchant/scan"))

    assert "data-scanner" in page and "data-autostart" in page
    assert "vendor/zxing-wasm/zxing-reader.js" in page
    assert 'name="code"' in page and "扫不出来？输入券上的号码" in page
    assert 'type="file" name="photo" accept="image/*" capture="environment"' in page
    assert "张记面馆" in page


def test_office_staff_scan_at_the_store_counter_linked_from_their_home(client, world):
    sign_in(client, world.staff)

    assert 'href="/merchant/scan"' in text_of(client.get("/staff"))
    assert "积分超市柜台" in text_of(client.get("/merchant/scan"))


@pytest.mark.parametrize("role", ["resident", "grid_worker"])
def test_residents_and_grid_workers_cannot_open_the_scan_page(client, db, world, role):
    user = world.resident if role == "resident" else make_user(db.session, world.community, role)
    sign_in(client, user)

    assert client.get("/merchant/scan").status_code == 403
    assert scan(client, world.voucher.code).status_code == 403
    assert db.session.get(Voucher, world.voucher.id).status == HELD


def test_a_scanned_code_is_redeemed_and_the_screen_turns_green(client, db, world):
    sign_in(client, world.clerk)

    response = scan(client, qr.voucher_token(SECRET, world.voucher))

    page = text_of(response)
    assert response.status_code == 200 and outcome_of(response) == "ok"
    assert "核销成功" in page and "牛肉面一碗" in page and "120 积分" in page
    assert "王**" in page and "王秀英" not in page
    assert 'href="/merchant/scan"' in page and "继续扫码" in page
    assert moved(db, world, world.voucher) == (
        ledger.Balance("POINTS", Decimal("380"), Decimal("0")), Decimal("120"), REDEEMED)


def test_a_typed_code_is_redeemed_too(client, db, world):
    sign_in(client, world.owner)

    response = scan(client, world.voucher.code.lower())

    assert outcome_of(response) == "ok"


def test_scanning_it_again_is_red_already_redeemed_with_when(client, db, world):
    sign_in(client, world.clerk)
    scan(client, world.voucher.code)

    response = refused(client, db, world, world.voucher, world.voucher.code, 409,
                       "这张券已经核销过了")

    assert 'data-test="result-when"' in text_of(response)
    assert 'data-code="voucher_already_redeemed"' in text_of(response)


def test_a_wrong_check_character_is_red_with_its_reason(client, db, world):
    sign_in(client, world.clerk)
    code = world.voucher.code
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")

    refused(client, db, world, world.voucher, wrong, 422, "号码有误（校验位不对），请再核对一遍")


def test_an_unknown_code_is_red_unknown(client, db, world):
    from points import codes

    sign_in(client, world.clerk)

    refused(client, db, world, world.voucher, "00000000" + codes.check_char("00000000"), 404,
            "查不到这张券，请核对号码")


def test_another_communitys_code_is_red_unknown(client, db, world):
    far = make_held_voucher(db.session, world.far_resident, world.far_shop)
    sign_in(client, world.clerk)

    refused(client, db, world, world.voucher, far.code, 404, "查不到这张券，请核对号码")
    refused(client, db, world, world.voucher, qr.voucher_token(SECRET, far), 404,
            "查不到这张券，请核对号码")
    assert db.session.get(Voucher, far.id).status == HELD


def test_another_shops_clerk_is_red_not_valid_here_and_sees_nothing_of_it(client, db, world):
    sign_in(client, world.other_clerk)

    response = refused(client, db, world, world.voucher, world.voucher.code, 403,
                       "这张券不能在本店使用")

    assert "牛肉面一碗" not in text_of(response) and "王" not in text_of(response).split("</header>")[1]


@pytest.mark.parametrize("damage", [lambda t: t[:-4], lambda t: t[:10] + "x" + t[11:]])
def test_a_tampered_or_truncated_qr_is_red_invalid_qr(client, db, world, damage):
    sign_in(client, world.clerk)
    url = f"http://localhost/v/{damage(qr.voucher_token(SECRET, world.voucher))}"

    refused(client, db, world, world.voucher, url, 404, "二维码无效或不完整，请重新扫描")


def test_an_expired_voucher_is_red_expired(client, db, world):
    old = make_held_voucher(db.session, world.resident, world.shop,
                            now=utcnow() - timedelta(days=31))
    sign_in(client, world.clerk)

    refused(client, db, world, old, old.code, 410, "这张券已过期")


def test_a_cancelled_voucher_is_red_cancelled(client, db, world):
    services.cancel_voucher(db.session, acting=acting_as_self(world.resident),
                            voucher_id=world.voucher.id, now=utcnow())
    sign_in(client, world.clerk)

    refused(client, db, world, world.voucher, world.voucher.code, 410, "这张券已取消")
    assert db.session.get(Voucher, world.voucher.id).status == CANCELLED


def test_a_refunded_voucher_is_red_refunded(client, db, world):
    services.redeem_voucher(db.session, clerk=world.clerk, voucher_id=world.voucher.id, now=utcnow())
    services.refund_redemption(db.session, actor=world.owner, voucher_id=world.voucher.id,
                               reason="退货", now=utcnow())
    sign_in(client, world.clerk)

    refused(client, db, world, world.voucher, world.voucher.code, 410, "这张券已退款")


def test_another_qr_is_red_not_a_voucher(client, db, world):
    sign_in(client, world.clerk)

    refused(client, db, world, world.voucher, "https://u.wechat.com/pay/abc", 404,
            "这不是积分券的二维码或券码")


# A photo of the QR ---------------------------------------------------------------------

def photo_of(text, *, rotate=10, size=(1600, 1200), quality=70):
    """A phone-like JPEG: the QR small on a grey table, turned a little."""
    canvas = Image.new("L", size, 150)
    code = Image.open(io.BytesIO(qr_png(text))).convert("L").resize((360, 360))
    canvas.paste(code.rotate(rotate, expand=True, fillcolor=150), (500, 350))
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def upload(client, data, name="photo.jpg"):
    """Posts the photo as a phone does. The body is built here: the test client would
    spool a large one to a temporary file that it never closes (a ResourceWarning)."""
    boundary = "----scan-photo-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="{name}"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post("/merchant/scan/photo", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_a_photo_of_the_qr_is_decoded_on_the_server_and_redeemed(client, db, world):
    sign_in(client, world.clerk)
    url = f"http://localhost/v/{qr.voucher_token(SECRET, world.voucher)}"

    response = upload(client, photo_of(url))

    assert response.status_code == 200 and outcome_of(response) == "ok", text_of(response)
    assert db.session.get(Voucher, world.voucher.id).status == REDEEMED


def test_a_photo_without_a_qr_is_red_with_its_reason(client, db, world):
    sign_in(client, world.clerk)
    blank = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 180, 160)).save(blank, format="JPEG")
    before = moved(db, world, world.voucher)

    response = upload(client, blank.getvalue())

    assert response.status_code == 422 and outcome_of(response) == "refused"
    assert "照片里没有找到二维码，请对准二维码再拍一张" in text_of(response)
    assert moved(db, world, world.voucher) == before


@pytest.mark.parametrize("data, status, words", [
    (b"%PDF-1.4 not a photo", 422, "这个文件不是照片，请重新拍照"),
    (b"", 422, "请先拍一张积分券二维码的照片"),
    (b"\xff\xd8" + b"0" * (10 * 1024 * 1024), 413, "照片太大了，请重新拍一张（最大 10 MB）"),
])
def test_a_file_that_is_no_usable_photo_is_red_with_its_reason(client, db, world, data, status, words):
    sign_in(client, world.clerk)
    before = moved(db, world, world.voucher)

    response = upload(client, data)

    assert response.status_code == status and words in text_of(response)
    assert moved(db, world, world.voucher) == before


def test_a_truncated_jpeg_is_not_a_photo(client, db, world):
    sign_in(client, world.clerk)
    data = photo_of("http://localhost/v/x.y")

    response = upload(client, data[: len(data) // 3])

    assert response.status_code == 422 and "这个文件不是照片" in text_of(response)


# Wrong codes are slowed down ------------------------------------------------------------

def test_ten_wrong_codes_a_minute_then_a_translated_429_with_retry_after(client, db, world):
    sign_in(client, world.clerk)
    wrong = [scan(client, "000000001").status_code for _ in range(10)]

    blocked = scan(client, world.voucher.code)

    assert set(wrong) == {422}
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    assert "操作太频繁，请稍后再试" in text_of(blocked)
    assert db.session.get(Voucher, world.voucher.id).status == HELD


def test_wrong_photos_and_tokens_count_too(client, world):
    sign_in(client, world.clerk)
    blank = io.BytesIO()
    Image.new("RGB", (50, 50), "white").save(blank, format="PNG")
    for _ in range(5):
        upload(client, blank.getvalue(), "blank.png")
    for _ in range(5):
        client.post("/v/WzEsMl0.forged")

    assert scan(client, world.voucher.code).status_code == 429


def test_real_vouchers_already_redeemed_do_not_count_as_wrong_codes(client, world):
    sign_in(client, world.clerk)
    statuses = [scan(client, world.voucher.code).status_code for _ in range(15)]

    assert statuses == [200] + [409] * 14
    assert scan(client, "000000001").status_code == 422  # still allowed


def test_the_limit_is_per_person(app):
    from points.extensions import db

    # Built in an app context that ends before the requests: the db fixture's would be
    # shared by every request, and with it Flask-Login's cached user (``g``) across clients.
    with app.app_context():
        world = make_scan_world(db.session)
        code = make_held_voucher(db.session, world.resident, world.shop).code
        clerk, owner = world.clerk, world.owner
        db.session.refresh(clerk), db.session.refresh(owner)
        db.session.remove()
    at_till, in_office = app.test_client(), app.test_client()
    sign_in(at_till, clerk)
    sign_in(in_office, owner)
    for _ in range(10):
        scan(at_till, "000000001")

    assert scan(at_till, code).status_code == 429
    assert scan(in_office, code).status_code == 200


# The voucher's own URL (/v/<token>) ------------------------------------------------------

def url_of(voucher):
    return f"/v/{qr.voucher_token(SECRET, voucher)}"


def test_signed_out_the_url_asks_to_sign_in_and_comes_back(client, world):
    url = url_of(world.voucher)

    first = client.get(url)

    assert first.status_code == 302 and "/sign-in" in first.headers["Location"]
    signed_in = client.post(first.headers["Location"],
                            data={"phone": world.clerk.phone, "password": "test-password-1"})
    assert signed_in.headers["Location"] == url


def test_the_owner_is_sent_to_their_voucher_page(client, world):
    sign_in(client, world.resident)

    response = client.get(url_of(world.voucher))

    assert response.status_code == 302
    assert response.headers["Location"] == f"/vouchers/{world.voucher.id}"


def test_a_family_proxy_is_sent_to_the_voucher_page_too(client, db, world):
    with unit_of_work(db.session):
        db.session.add(ProxyGrant(resident_id=world.resident.id, proxy_id=world.neighbour.id,
                                  relation="子女", granted_by_id=world.staff.id))
    sign_in(client, world.neighbour)

    assert client.get(url_of(world.voucher)).headers["Location"] == f"/vouchers/{world.voucher.id}"


def test_the_shops_clerk_is_asked_to_confirm_and_a_get_redeems_nothing(client, db, world):
    sign_in(client, world.clerk)

    response = client.get(url_of(world.voucher))

    page = text_of(response)
    assert response.status_code == 200 and "核销“牛肉面一碗”？" in page
    assert "王**" in page and "确认核销" in page
    assert db.session.get(Voucher, world.voucher.id).status == HELD

    confirmed = client.post(url_of(world.voucher))
    assert outcome_of(confirmed) == "ok"
    assert db.session.get(Voucher, world.voucher.id).status == REDEEMED


def test_staff_confirm_a_store_voucher_opened_from_its_url(client, db, world):
    store = make_held_voucher(db.session, world.resident, None, title="洗衣粉一袋")
    sign_in(client, world.staff)

    assert "核销“洗衣粉一袋”？" in text_of(client.get(url_of(store)))


def test_the_clerk_opening_a_redeemed_vouchers_url_sees_red_with_when(client, db, world):
    services.redeem_voucher(db.session, clerk=world.clerk, voucher_id=world.voucher.id, now=utcnow())
    sign_in(client, world.clerk)

    response = client.get(url_of(world.voucher))

    assert response.status_code == 409 and "这张券已经核销过了" in text_of(response)
    assert 'data-test="result-when"' in text_of(response)


@pytest.mark.parametrize("who", ["neighbour", "other_clerk", "far_clerk", "far_resident"])
def test_anyone_else_sees_a_neutral_page_without_personal_data(client, db, world, who):
    sign_in(client, getattr(world, who))

    response = client.get(url_of(world.voucher))

    body = text_of(response).split("</header>")[1]
    assert response.status_code == 200 and "这是一张积分券" in body
    assert "王" not in body and "牛肉面" not in body and world.voucher.code not in body
    assert db.session.get(Voucher, world.voucher.id).status == HELD


def test_a_tampered_url_says_the_qr_is_invalid(client, world):
    sign_in(client, world.clerk)
    token = qr.voucher_token(SECRET, world.voucher)

    response = client.get(f"/v/{token[:-6]}")

    assert response.status_code == 404 and "二维码无效或不完整，请重新扫描" in text_of(response)


def test_another_shops_clerk_posting_the_url_is_refused(client, db, world):
    sign_in(client, world.other_clerk)

    response = client.post(url_of(world.voucher))

    assert response.status_code == 403 and "这张券不能在本店使用" in text_of(response)
    assert db.session.get(Voucher, world.voucher.id).status == HELD


# CSRF, as in production ----------------------------------------------------------------

def test_a_scan_without_the_forms_csrf_token_is_refused(csrf_client):
    client, session = csrf_client
    world = make_scan_world(session)
    voucher = make_held_voucher(session, world.resident, world.shop)
    page = text_of(client.get("/sign-in"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    client.post("/sign-in", data={"phone": world.clerk.phone, "password": "test-password-1",
                                  "csrf_token": token})

    assert client.post("/merchant/scan", data={"code": voucher.code}).status_code == 400
    assert session.get(Voucher, voucher.id).status == HELD
    form = text_of(client.get("/merchant/scan"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    done = client.post("/merchant/scan", data={"code": voucher.code, "csrf_token": token})
    assert outcome_of(done) == "ok"
