"""``Idempotency-Key`` on the API requests that move points, yuan or stock: a repeat with
the same key and body answers as the first and moves nothing; another body is 422."""

import pytest
from sqlalchemy import func, select

from ledger.models import Transfer
from ledger.verify import verify
from points.api.idempotency import IdempotentRequest
from tests import factories


def token(client, user):
    return factories.bearer(client, user)


@pytest.fixture
def shop(db):
    community = factories.make_community(db.session)
    merchant = factories.make_merchant(db.session, community)
    clerk = factories.make_user(db.session, community, "merchant_clerk", merchant=merchant)
    resident = factories.make_resident(db.session, community, points="500")
    return community, merchant, clerk, resident


def transfers(db):
    return db.session.scalar(select(func.count(Transfer.id)))


def test_a_repeated_redemption_answers_the_first_answer_and_moves_nothing(db, client, shop):
    _, merchant, clerk, resident = shop
    voucher = factories.make_voucher(db.session, resident, merchant=merchant, points=40)
    headers = {**token(client, clerk), "Idempotency-Key": "scan-1"}
    first = client.post("/api/v1/merchant/redemptions", json={"code": voucher.code}, headers=headers)
    assert first.status_code == 201
    before = transfers(db)
    again = client.post("/api/v1/merchant/redemptions", json={"code": voucher.code}, headers=headers)
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert transfers(db) == before
    # Without the key, a second scan is the contract's 409.
    plain = client.post("/api/v1/merchant/redemptions", json={"code": voucher.code},
                        headers=token(client, clerk))
    assert plain.status_code == 409
    assert verify(db.session) == []


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(db, client, shop):
    _, merchant, clerk, resident = shop
    first_voucher = factories.make_voucher(db.session, resident, merchant=merchant, points=10)
    second_voucher = factories.make_voucher(db.session, resident, merchant=merchant, points=20)
    headers = {**token(client, clerk), "Idempotency-Key": "scan-2"}
    assert client.post("/api/v1/merchant/redemptions", json={"code": first_voucher.code},
                       headers=headers).status_code == 201
    before = transfers(db)
    refused = client.post("/api/v1/merchant/redemptions", json={"code": second_voucher.code},
                          headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "idempotency_conflict"
    assert transfers(db) == before
    db.session.refresh(second_voucher)
    assert second_voucher.status == "held"


def test_a_failed_first_request_keeps_nothing_so_the_retry_runs(db, client, shop):
    _, merchant, clerk, _ = shop
    headers = {**token(client, clerk), "Idempotency-Key": "scan-3"}
    missing = client.post("/api/v1/merchant/redemptions", json={"code": "AAAA-AAAA-A"}, headers=headers)
    assert missing.status_code in (404, 422)
    assert db.session.scalar(select(func.count(IdempotentRequest.id))) == 0


def test_keys_belong_to_their_user(db, client, shop):
    community, merchant, clerk, resident = shop
    other_clerk = factories.make_user(db.session, community, "merchant_clerk", merchant=merchant)
    one = factories.make_voucher(db.session, resident, merchant=merchant, points=10)
    two = factories.make_voucher(db.session, resident, merchant=merchant, points=10)
    assert client.post("/api/v1/merchant/redemptions", json={"code": one.code},
                       headers={**token(client, clerk), "Idempotency-Key": "k"}).status_code == 201
    assert client.post("/api/v1/merchant/redemptions", json={"code": two.code},
                       headers={**token(client, other_clerk), "Idempotency-Key": "k"}).status_code == 201


@pytest.mark.parametrize("key", ["", " ", "x" * 81, "中文"])
def test_a_malformed_key_is_refused(db, client, shop, key):
    _, merchant, clerk, resident = shop
    voucher = factories.make_voucher(db.session, resident, merchant=merchant, points=10)
    answer = client.post("/api/v1/merchant/redemptions", json={"code": voucher.code},
                         headers={**token(client, clerk), "Idempotency-Key": key.encode().decode("latin-1")})
    assert answer.status_code == 422
    db.session.refresh(voucher)
    assert voucher.status == "held"


def test_the_openapi_document_names_the_header(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    redeem = spec["paths"]["/api/v1/merchant/redemptions"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in redeem["parameters"])


def test_racing_repeats_of_one_key_redeem_once(app, db, shop):
    """Four tills send the same request with one key at once: one redeems, the others wait
    on the key and replay its answer (on PostgreSQL the unique index makes them wait)."""
    from ledger.models import Hold
    from tests.races import run_together

    _, merchant, clerk, resident = shop
    voucher = factories.make_voucher(db.session, resident, merchant=merchant, points=40)
    headers = {**token(app.test_client(), clerk), "Idempotency-Key": "race-1"}
    code = voucher.code
    db.session.remove()

    def send(i, start):
        client = app.test_client()
        start()
        answer = client.post("/api/v1/merchant/redemptions", json={"code": code}, headers=headers)
        return answer.status_code, answer.get_json()

    results = run_together(4, send)
    assert {status for status, _ in results} == {201}, results
    assert len({str(body) for _, body in results}) == 1
    assert db.session.scalar(select(func.count(Transfer.id)).where(Transfer.kind == "redeem")) == 1
    assert db.session.scalar(select(func.count(Hold.id)).where(Hold.status == "pending")) == 0
    assert verify(db.session) == []
