"""The store counter's pages (``/staff/store``) and a shop owner's (``/merchant/offers``):
forms, refusals in plain words on the form, the photo upload, who may open what."""
import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from merchants.models import Offer
from points.audit.models import AuditEvent
from tests import factories
from tests.factories import sign_in


@pytest.fixture
def world(db, client):
    session = db.session
    community = factories.make_community(session)
    shop = factories.make_merchant(session, community, name="张记面馆")
    world = type("World", (), dict(
        session=session, community=community, shop=shop,
        staff=factories.make_user(session, community, "staff", name="陈干事"),
        owner=factories.make_user(session, community, "merchant_owner", name="张建国", merchant=shop),
        resident=factories.make_resident(session, community, points="500"),
    ))
    return world


def text(response):
    return response.get_data(as_text=True)


def offers(world):
    world.session.expire_all()
    return list(world.session.scalars(select(Offer).order_by(Offer.id)))


NEW_GOOD = {"title": "大米 5 斤", "description": "东北大米", "points": "100", "stock": "10",
            "monthly_limit": "2", "active": "y"}


def png(colour="red", size=(40, 30)):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


# The store counter ---------------------------------------------------------------------

def test_staff_put_a_good_on_the_shelf_through_the_form(client, world):
    sign_in(client, world.staff)
    assert "上架新商品" in text(client.get("/staff/store/new"))

    response = client.post("/staff/store/new", data=NEW_GOOD)

    good = offers(world)[0]
    assert response.headers["Location"].endswith(f"/staff/store/{good.id}")
    assert (good.title, good.stock, good.monthly_limit, good.merchant_id) == ("大米 5 斤", 10, 2, None)
    page = text(client.get("/staff/store"))
    assert "大米 5 斤" in page and 'data-test="stock">10<' in page


def test_a_wrong_value_is_said_on_the_form_and_what_was_typed_stays(client, world):
    sign_in(client, world.staff)

    response = client.post("/staff/store/new", data={**NEW_GOOD, "points": "1.5"})

    assert response.status_code == 200 and "请填写整数" in text(response)
    assert 'value="大米 5 斤"' in text(response) and offers(world) == []


def test_staff_add_stock_with_a_reason(client, world):
    good = factories.make_offer(world.session, world.community, stock=3)
    sign_in(client, world.staff)

    response = client.post(f"/staff/store/{good.id}/stock", data={"change": "+5", "reason": "新到货"})

    page = text(client.get(response.headers["Location"]))
    assert "库存已更新，现在有 8 件" in page and offers(world)[0].stock == 8
    refused = text(client.get(client.post(f"/staff/store/{good.id}/stock",
                                          data={"change": "-9", "reason": "盘点"}).headers["Location"]))
    assert "库存不够减：现在只有 8 件" in refused and offers(world)[0].stock == 8


def test_a_stock_change_without_a_reason_is_refused(client, world):
    good = factories.make_offer(world.session, world.community, stock=3)
    sign_in(client, world.staff)

    page = text(client.get(client.post(f"/staff/store/{good.id}/stock",
                                       data={"change": "5", "reason": ""}).headers["Location"]))

    assert "请填写件数和原因" in page and offers(world)[0].stock == 3


def test_staff_hide_and_show_a_good(client, world):
    good = factories.make_offer(world.session, world.community)
    sign_in(client, world.staff)

    client.post(f"/staff/store/{good.id}/hide")
    assert offers(world)[0].active is False
    client.post(f"/staff/store/{good.id}/show")
    assert offers(world)[0].active is True


def test_a_photo_is_re_encoded_stored_and_shown_in_the_mall(app, client, world):
    good = factories.make_offer(world.session, world.community)
    sign_in(client, world.staff)

    response = client.post(f"/staff/store/{good.id}/photo",
                           data={"photo": (io.BytesIO(png()), "rice.png")},
                           content_type="multipart/form-data")

    key = offers(world)[0].photo_key
    assert response.status_code == 302 and key and key.endswith(".jpg")
    stored = Path(app.config["INSTANCE_PATH"]) / "uploads" / "offers" / key
    assert stored.exists()
    sign_in(client, world.resident)
    photo = client.get(f"/mall/offers/{good.id}/photo", buffered=True)
    photo.close()
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(photo.data)).size == (40, 30)
    assert f"/mall/offers/{good.id}/photo" in text(client.get("/mall"))
    event = world.session.scalar(select(AuditEvent).where(AuditEvent.action == "offer.photo"))
    assert event.after == {"photo_key": key}


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_stored(app, client, world):
    good = factories.make_offer(world.session, world.community)
    sign_in(client, world.staff)

    response = client.post(f"/staff/store/{good.id}/photo",
                           data={"photo": (io.BytesIO(b"not an image"), "rice.jpg")},
                           content_type="multipart/form-data")

    page = text(client.get(response.headers["Location"]))
    assert "只能上传 JPEG、PNG 或 WebP 图片" in page
    assert offers(world)[0].photo_key is None
    folder = Path(app.config["INSTANCE_PATH"]) / "uploads" / "offers"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_an_offer_without_a_photo_has_none_to_show(client, world):
    good = factories.make_offer(world.session, world.community)
    sign_in(client, world.resident)

    assert client.get(f"/mall/offers/{good.id}/photo").status_code == 404


@pytest.mark.parametrize("role", ["resident", "grid_worker", "merchant_owner"])
def test_only_office_staff_open_the_store_counter(client, world, role):
    user = world.owner if role == "merchant_owner" else factories.make_user(
        world.session, world.community, role)
    sign_in(client, user)

    assert client.get("/staff/store").status_code == 403
    assert client.post("/staff/store/new", data=NEW_GOOD).status_code == 403
    assert offers(world) == []


def test_another_communitys_good_is_not_found_at_this_counter(client, world):
    elsewhere = factories.make_community(world.session, name="城口社区")
    far_good = factories.make_offer(world.session, elsewhere, title="腊肉")
    sign_in(client, world.staff)

    assert client.get(f"/staff/store/{far_good.id}").status_code == 404
    assert client.post(f"/staff/store/{far_good.id}/stock",
                       data={"change": "5", "reason": "x"}).status_code == 404


# A shop owner's offers -----------------------------------------------------------------

def test_an_owner_adds_a_discount_to_their_shop(client, world):
    sign_in(client, world.owner)
    assert "新增优惠" in text(client.get("/merchant/offers"))

    response = client.post("/merchant/offers/new", data={
        "kind": "discount", "title": "满 50 减 5", "points": "250", "stock": "", "active": "y"})

    assert response.headers["Location"].endswith("/merchant/offers")
    offer = offers(world)[0]
    assert (offer.merchant_id, offer.kind, offer.stock) == (world.shop.id, "discount", None)
    assert "满 50 减 5" in text(client.get("/merchant/offers"))


def test_an_owner_edits_their_offer_but_not_anothers(client, world):
    mine = factories.make_offer(world.session, world.community, world.shop, title="牛肉面")
    other_shop = factories.make_merchant(world.session, world.community, name="李记水果")
    theirs = factories.make_offer(world.session, world.community, other_shop, title="苹果")
    sign_in(client, world.owner)

    client.post(f"/merchant/offers/{mine.id}", data={
        "kind": "item", "title": "大碗牛肉面", "points": "35", "active": "y"})

    assert client.get(f"/merchant/offers/{theirs.id}").status_code == 404
    assert client.post(f"/merchant/offers/{theirs.id}", data={
        "kind": "item", "title": "改", "points": "1"}).status_code == 404
    assert client.post(f"/merchant/offers/{theirs.id}/hide").status_code == 404
    assert [(o.title, o.active) for o in offers(world)] == [("大碗牛肉面", True), ("苹果", True)]


def test_a_clerk_does_not_manage_offers(client, world):
    clerk = factories.make_user(world.session, world.community, "merchant_clerk", merchant=world.shop)
    sign_in(client, clerk)

    assert client.get("/merchant/offers").status_code == 403


def test_the_audit_log_names_store_changes_in_plain_words(client, world):
    good = factories.make_offer(world.session, world.community, stock=3)
    admin = factories.make_user(world.session, world.community, "admin")
    sign_in(client, admin)
    client.post(f"/staff/store/{good.id}/stock", data={"change": "5", "reason": "新到货"})

    page = text(client.get("/staff/audit"))

    assert "调整库存" in page and "商品或优惠" in page and "库存" in page and "新到货" in page
