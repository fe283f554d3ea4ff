"""What was scanned or typed → the voucher it names, or the exact reason it names none.

``scanning.resolve`` only reads: every refusal here leaves the voucher held.
"""
import pytest

from merchants import errors, qr, scanning
from merchants.models import HELD, Voucher
from points import codes
from tests.factories import make_held_voucher, make_scan_world

SECRET = "test-secret-key"


@pytest.fixture
def session(db):
    """The app's session: its fast password hashing keeps building the world quick."""
    return db.session


@pytest.fixture
def world(session):
    world = make_scan_world(session)
    world.voucher = make_held_voucher(session, world.resident, world.shop)
    world.far_voucher = make_held_voucher(session, world.far_resident, world.far_shop)
    return world


def resolve(session, world, scanned, community=None):
    community_id = (community or world.community).id
    return scanning.resolve(session, scanned, community_id=community_id, secret=SECRET)


def token_of(voucher):
    return qr.voucher_token(SECRET, voucher)


def assert_still_held(session, voucher):
    session.expire_all()
    assert session.get(Voucher, voucher.id).status == HELD


@pytest.mark.parametrize("shape", [
    "http://127.0.0.1:5000/v/{token}",
    "https://jifen.example.cn/v/{token}?from=wechat",
    "https://jifen.example.cn/v/{token}/",
    "{token}",
    "  {token}\n",
])
def test_the_qr_url_or_the_bare_token_names_the_voucher(session, world, shape):
    scanned = shape.format(token=token_of(world.voucher))

    assert resolve(session, world, scanned) == world.voucher.id


@pytest.mark.parametrize("typing", [
    lambda code: code,
    lambda code: codes.display(code),
    lambda code: codes.display(code).lower(),
    lambda code: " ".join(code),
])
def test_the_typed_code_names_the_voucher_however_it_is_spaced_or_cased(session, world, typing):
    assert resolve(session, world, typing(world.voucher.code)) == world.voucher.id


def test_o_and_i_typed_for_zero_and_one_still_find_the_voucher(session, world):
    code = world.voucher.code
    typed = code.replace("0", "O").replace("1", "I")

    assert resolve(session, world, typed) == world.voucher.id


def test_a_tampered_token_is_refused_as_an_invalid_qr(session, world):
    token = token_of(world.voucher)
    body, signature = token.rsplit(".", 1)
    # A middle character: the last one of base64 carries padding bits that may not count.
    middle = len(signature) // 2
    flipped = signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1:]

    with pytest.raises(errors.BadVoucherTokenError) as refused:
        resolve(session, world, f"http://x/v/{body}.{flipped}")

    assert refused.value.code == "bad_voucher_token"
    assert refused.value.message == "二维码无效或不完整，请重新扫描"
    assert_still_held(session, world.voucher)


def test_a_token_naming_another_voucher_with_the_old_signature_is_refused(session, world):
    other = make_held_voucher(session, world.neighbour, world.shop)
    _, signature = token_of(world.voucher).rsplit(".", 1)
    body, _ = token_of(other).rsplit(".", 1)

    with pytest.raises(errors.BadVoucherTokenError):
        resolve(session, world, f"{body}.{signature}")


@pytest.mark.parametrize("cut", [1, 5, 20])
def test_a_truncated_token_is_refused_as_an_invalid_qr(session, world, cut):
    token = token_of(world.voucher)

    with pytest.raises(errors.BadVoucherTokenError):
        resolve(session, world, f"https://jifen.example.cn/v/{token[:-cut]}")
    assert_still_held(session, world.voucher)


def test_a_url_cut_right_after_v_is_refused_as_an_invalid_qr(session, world):
    with pytest.raises(errors.BadVoucherTokenError):
        resolve(session, world, "https://jifen.example.cn/v/")


def test_a_token_signed_with_another_secret_is_refused(session, world):
    forged = qr.voucher_token("someone-elses-secret", world.voucher)

    with pytest.raises(errors.BadVoucherTokenError):
        resolve(session, world, forged)


def test_another_communitys_token_is_unknown_here(session, world):
    with pytest.raises(errors.VoucherNotFoundError) as refused:
        resolve(session, world, token_of(world.far_voucher))

    assert refused.value.code == "voucher_not_found"
    assert_still_held(session, world.far_voucher)


def test_another_communitys_code_is_unknown_here(session, world):
    with pytest.raises(errors.VoucherNotFoundError):
        resolve(session, world, world.far_voucher.code)

    assert resolve(session, world, world.far_voucher.code, community=world.elsewhere) \
        == world.far_voucher.id


def test_a_code_with_a_wrong_check_character_is_refused_before_any_lookup(session, world):
    code = world.voucher.code
    wrong_check = code[:-1] + next(c for c in codes.ALPHABET if c != code[-1])

    with pytest.raises(errors.BadCheckCharacterError) as refused:
        resolve(session, world, wrong_check)

    assert refused.value.code == "bad_check_character"
    assert_still_held(session, world.voucher)


def test_a_code_with_one_character_misread_is_caught_by_the_check_character(session, world):
    code = world.voucher.code
    misread = next(c for c in codes.ALPHABET if c != code[0]) + code[1:]

    with pytest.raises(errors.BadCheckCharacterError):
        resolve(session, world, misread)


def test_a_well_formed_code_that_nobody_has_is_unknown(session, world):
    body = "00000000"
    unused = body + codes.check_char(body)

    with pytest.raises(errors.VoucherNotFoundError):
        resolve(session, world, unused)


@pytest.mark.parametrize("scanned", ["https://weixin.qq.com/r/abc", "你好", "pay:12345#"])
def test_another_qr_or_text_is_not_a_voucher(session, world, scanned):
    with pytest.raises(errors.NotAVoucherError) as refused:
        resolve(session, world, scanned)

    assert refused.value.code == "not_a_voucher"


@pytest.mark.parametrize("scanned", ["", "   ", None])
def test_nothing_scanned_asks_for_a_code(session, world, scanned):
    with pytest.raises(errors.NoCodeError):
        resolve(session, world, scanned)
