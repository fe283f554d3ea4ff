"""Chinese is the msgid and the default; English comes from the one catalogue.

The first test fails whenever someone adds a user-facing string without translating it:
run ``.venv/bin/python scripts/i18n.py`` and fill the new msgstrs.
"""
import os
import re
import shutil
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po

from points.config import ROOT
from points.i18n import compile_catalogues, extract_messages, stale_catalogues, untranslated
from tests import factories
from tests.factories import PASSWORD, sign_in

PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


def english_catalogue():
    with PO.open("rb") as handle:
        return read_po(handle, locale="en")


def test_every_msgid_in_the_source_is_translated_into_english():
    source = extract_messages(ROOT)
    catalogue = english_catalogue()

    missing = [message.id for message in source
               if message.id and catalogue.get(message.id, context=message.context) is None]
    empty = untranslated(catalogue)

    assert len(source) > 50
    assert not missing, f"not in {PO.relative_to(ROOT)} (run scripts/i18n.py): {missing}"
    assert not empty, f"untranslated in {PO.relative_to(ROOT)}: {empty}"


def test_english_translations_keep_their_placeholders():
    problems = [(message.id, str(error)) for message, errors in english_catalogue().check()
                for error in errors]

    assert not problems


def test_english_translations_contain_no_chinese_by_mistake():
    # Column names of the import spreadsheet stay Chinese on purpose: they are what to type.
    allowed = {"姓名", "手机号", "网格", "门牌/户号", "备注"}
    leftovers = []
    for message in english_catalogue():
        if not message.id:
            continue
        text = message.string if isinstance(message.string, str) else " ".join(message.string)
        for word in allowed:
            text = text.replace(word, "")
        if CJK.search(text):
            leftovers.append((message.id, message.string))

    assert not leftovers


def test_catalogues_are_compiled_when_missing_or_older_than_the_po(tmp_path):
    directory = tmp_path / "translations"
    shutil.copytree(PO.parent.parent.parent, directory,
                    ignore=shutil.ignore_patterns("*.mo", "*.tmp"))
    po_path = directory / "en" / "LC_MESSAGES" / "messages.po"

    assert compile_catalogues(directory) == [po_path]
    assert po_path.with_suffix(".mo").exists()
    assert stale_catalogues(directory) == []
    later = po_path.with_suffix(".mo").stat().st_mtime + 10
    os.utime(po_path, (later, later))
    assert compile_catalogues(directory) == [po_path]


class _Text(HTMLParser):
    """The visible text of a page (no script, style or attribute values)."""

    def __init__(self):
        super().__init__()
        self.parts = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style", "title")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style", "title")

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html):
    parser = _Text()
    parser.feed(html)
    return parser.parts


def chinese_left(html, data=()):
    """Text pieces still in Chinese, apart from the 中文 switch and the people's own data."""
    leftovers = []
    for part in visible_text(html):
        for value in ("中文", *data):
            part = part.replace(value, "")
        if CJK.search(part):
            leftovers.append(part)
    return leftovers


def switch_to_english(client):
    response = client.post("/language/en")
    assert response.status_code == 302


def test_sign_in_page_turns_english_after_switching(client):
    switch_to_english(client)

    html = client.get("/sign-in").get_data(as_text=True)

    assert '<html lang="en"' in html
    assert "Welcome to the Points Mall" in html and "Phone number" in html
    assert chinese_left(html) == []


def test_wrong_password_message_is_english_after_switching(client, db):
    user = factories.make_resident(db.session)
    switch_to_english(client)

    html = sign_in(client, user, password="nope-nope").get_data(as_text=True)

    assert "Wrong phone number or password" in html


@pytest.mark.parametrize("role", ["resident", "merchant_owner", "grid_worker"])
def test_home_pages_have_no_chinese_left_in_english(client, db, role):
    community = factories.make_community(db.session, name="Beixin")
    community.district = "Chengdu"
    db.session.commit()
    household = factories.make_household(db.session, community, address="Block 3 Unit 2 401")
    merchant = factories.make_merchant(db.session, community, name="Zhang Noodles")
    merchant.address = "1 Beixin Street"
    db.session.commit()
    if role == "resident":
        user = factories.make_resident(db.session, community, household=household, name="Li Si",
                                       points="75")
    else:
        user = factories.make_user(db.session, community, role, name="Li Si",
                                   merchant=merchant if role.startswith("merchant") else None)
    sign_in(client, user)
    switch_to_english(client)

    html = client.get("/", follow_redirects=True).get_data(as_text=True)

    grid_name = household.grid.name  # factory names like 第3网格 are data, not interface
    grant_reason = "测试发放"  # the factory grant's reason, in the resident's latest lines: data
    assert '<html lang="en"' in html
    assert chinese_left(html, data=(grid_name, grant_reason)) == []


def test_chinese_is_the_default_and_the_pages_say_so(client):
    html = client.get("/sign-in").get_data(as_text=True)

    assert '<html lang="zh-CN"' in html
    assert "欢迎来到积分超市" in html


@pytest.mark.parametrize(("accept", "message"), [
    (None, "手机号或密码不正确"),
    ("zh-CN,zh;q=0.9", "手机号或密码不正确"),
    ("en-US,en;q=0.9", "Wrong phone number or password"),
    ("fr-FR,en;q=0.5", "Wrong phone number or password"),
])
def test_api_errors_follow_accept_language(client, accept, message):
    headers = {"Accept-Language": accept} if accept else {}

    response = client.post("/api/v1/auth/token", json={"phone": "13900000000", "password": PASSWORD},
                           headers=headers)

    assert response.status_code == 401
    assert response.get_json()["error"] == {"code": "bad_credentials", "message": message}


def test_api_http_errors_follow_accept_language(client):
    english = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "en"})
    chinese = client.get("/api/v1/no-such-thing")

    assert english.get_json()["error"]["message"] == "This page or record cannot be found"
    assert chinese.get_json()["error"]["message"] == "找不到这个页面或记录"


def test_api_ignores_the_page_language_cookie(client):
    switch_to_english(client)

    response = client.post("/api/v1/auth/token", json={"phone": "13900000000", "password": PASSWORD})

    assert response.get_json()["error"]["message"] == "手机号或密码不正确"
