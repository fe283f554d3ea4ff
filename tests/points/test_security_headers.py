"""Hardening headers on every kind of answer, cookie flags, and pages free of inline code.

The Content-Security-Policy (points/security.py) runs scripts and styles from this site
only, so a page with an inline ``<script>`` body, an ``on…=`` handler, a ``javascript:``
link, a ``style=`` attribute or a ``<style>`` element would silently lose that code in a
browser. The page walk renders every GET page that takes no URL parameters for each role
and fails on any of them.
"""
import os
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser

import pytest

from points.security import BASE_CSP
from tests import factories
from tests.factories import sign_in

ROLES = ("resident", "merchant_clerk", "merchant_owner", "grid_worker", "staff", "admin",
         "district_admin")
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


def assert_hardened(response):
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self' 'wasm-unsafe-eval'" in csp and "unsafe-inline" not in csp
    assert "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "form-action 'self'" in csp and "base-uri 'self'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=(self)" in headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in headers  # plain http: HSTS would be ignored


def test_a_page_carries_the_hardening_headers(client):
    response = client.get("/sign-in")

    assert response.status_code == 200
    assert_hardened(response)


def test_an_api_answer_carries_the_hardening_headers(client):
    refused = client.get("/api/v1/me")
    health = client.get("/healthz")

    assert refused.status_code == 401 and refused.is_json
    assert_hardened(refused)
    assert health.is_json
    assert_hardened(health)


def test_an_error_page_carries_the_hardening_headers(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert_hardened(response)


@pytest.mark.private_app  # adds routes
def test_a_server_error_carries_the_hardening_headers(app):
    def boom():
        raise RuntimeError("secret-detail")

    app.add_url_rule("/test-boom", "test_boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    response = app.test_client().get("/test-boom")

    assert response.status_code == 500
    assert "secret-detail" not in response.get_data(as_text=True)
    assert_hardened(response)


def test_a_static_file_carries_the_hardening_headers(client):
    response = client.get("/static/css/app.css")

    assert response.status_code == 200
    assert_hardened(response)
    response.close()


def test_https_answers_add_strict_transport_security(client):
    response = client.get("/sign-in", base_url="https://localhost")

    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_only_the_api_docs_page_allows_inline_styles_and_never_inline_scripts(client):
    docs = client.get("/api/v1/docs")
    csp = docs.headers["Content-Security-Policy"]

    assert docs.status_code == 200
    assert "style-src 'self' 'unsafe-inline'" in csp
    assert "script-src 'self' 'wasm-unsafe-eval'" in csp
    assert csp.count("unsafe-inline") == 1
    assert client.get("/sign-in").headers["Content-Security-Policy"] == BASE_CSP


@pytest.mark.private_app  # adds routes
def test_a_view_that_sets_its_own_header_keeps_it(app):
    def framed():
        return "ok", 200, {"X-Frame-Options": "SAMEORIGIN"}

    app.add_url_rule("/test-framed", "test_framed", framed)

    response = app.test_client().get("/test-framed")

    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- cookies ---------------------------------------------------------------------------

def set_cookies(response):
    return {line.split("=", 1)[0]: line for line in response.headers.getlist("Set-Cookie")}


def production_like_app(database_url, tmp_path, secure):
    from points import create_app
    from points.config import TestConfig

    class ProductionLike(TestConfig):
        TESTING = False
        SESSION_COOKIE_SECURE = secure

    return create_app(ProductionLike(database_url, tmp_path / "prod-instance"))


@pytest.mark.parametrize("secure", [True, False], ids=["secure", "plain-http-demo"])
def test_sign_in_cookies_are_httponly_lax_and_secure_as_configured(database_url, tmp_path, secure):
    from points.extensions import db

    app = production_like_app(database_url, tmp_path, secure)
    with app.app_context():
        user = factories.make_resident(db.session)
        response = sign_in(app.test_client(), user)
        db.session.remove()
        db.engine.dispose()

    assert response.status_code == 302
    cookies = set_cookies(response)
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name]
        assert ("; Secure" in cookies[name]) is secure


def test_tests_and_debug_mode_never_ask_for_secure_cookies(app):
    assert app.testing
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["REMEMBER_COOKIE_SECURE"] is False


@pytest.mark.parametrize("value, secure", [(None, True), ("1", True), ("0", False)])
def test_secure_cookies_are_on_by_default_and_off_with_the_demo_flag(value, secure):
    env = {k: v for k, v in os.environ.items() if k != "JIFEN_SECURE_COOKIES"}
    if value is not None:
        env["JIFEN_SECURE_COOKIES"] = value
    code = "from points.config import Config; print(Config.SESSION_COOKIE_SECURE)"

    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.strip()

    assert out == str(secure)


# --- no inline code in any page ----------------------------------------------------------

class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline script bodies, on…= handlers,
    javascript: URLs, style= attributes and <style> elements; and, while at it, every
    POST form without a ``csrf_token`` field (it would answer 400 in production)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []
        self._inline_script = False
        self._post_form = None  # the open POST form's action, and whether it has the token

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "").lower() == "post":
            self._post_form = [attributes.get("action") or "(this page)", False]
        if tag == "input" and attributes.get("name") == "csrf_token" and self._post_form:
            self._post_form[1] = True
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            elif name == "style" and (value or "").strip():
                self.found.append(f"<{tag} style=\"{value}\">")
            elif name in ("href", "src", "action", "formaction") and \
                    (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=\"javascript:…\">")
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script":
            self._inline_script = ("src" not in attributes
                                   and attributes.get("type") not in DATA_SCRIPT_TYPES)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self._inline_script = False

    def handle_endtag(self, tag):
        if tag == "script":
            self._inline_script = False
        if tag == "form" and self._post_form:
            if not self._post_form[1]:
                self.found.append(f"POST form to {self._post_form[0]} without csrf_token")
            self._post_form = None

    def handle_data(self, data):
        if self._inline_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]}")


def inline_code(html):
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


def test_the_inline_code_finder_finds_each_kind():
    html = ('<script>alert(1)</script><script src="/a.js"></script>'
            '<script type="application/json">{"a": 1}</script>'
            '<button onclick="x()">b</button><a href="javascript:void(0)">a</a>'
            '<div style="color:red"></div><style>p{}</style>'
            '<form method="post" action="/x"><input name="a"></form>'
            '<form method="POST"><input type="hidden" name="csrf_token" value="t"></form>'
            '<form method="get"></form>')

    found = inline_code(html)

    assert len(found) == 6 and found[-1] == "POST form to /x without csrf_token"
    assert found[0].startswith("inline <script>")


def plain_get_pages(app):
    """Every GET route that takes no URL parameters, outside the API and static files."""
    paths = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
            continue
        if rule.rule.startswith("/api/") or rule.rule == "/healthz":
            continue
        paths.add(rule.rule)
    return sorted(paths)


def make_world(session):
    """One person of each role in one community with a little of everything to show, and
    the pages of those things (which take an id) each role may open."""
    community = factories.make_community(session, name="北新社区")
    grid = factories.make_grid(session, community, name="红星网格")
    household = factories.make_household(session, community, grid)
    shop = factories.make_merchant(session, community, name="张记面馆")
    resident = factories.make_resident(session, community, household=household, name="王秀英",
                                       points="500")
    offer = factories.make_offer(session, community)
    voucher = factories.make_voucher(session, resident, merchant=shop, points="30")
    activity = factories.make_activity(session, community)
    factories.make_credit(session, resident, "20", date(2026, 11, 2))
    people = {"resident": resident}
    for role in ROLES[1:]:
        people[role] = factories.make_user(
            session, None if role == "district_admin" else community, role, name="赵六",
            merchant=shop if role.startswith("merchant") else None,
            grids=[grid] if role == "grid_worker" else ())
    office = [f"/staff/activities/{activity.id}", f"/staff/activities/{activity.id}/checkin",
              f"/staff/activities/{activity.id}/screen", f"/staff/residents/{resident.id}",
              f"/staff/residents/{resident.id}/card", f"/staff/shops/{shop.id}"]
    pages = {"resident": [f"/vouchers/{voucher.id}", f"/activities/{activity.id}",
                          f"/mall/offers/{offer.id}"],
             "staff": office, "admin": office}
    return people, pages


def test_no_page_of_any_role_has_inline_code(app, db):
    people, object_pages = make_world(db.session)
    paths = plain_get_pages(app)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a broken page is listed, not raised
    problems, server_errors, checked = [], [], {}

    for role, user in people.items():
        client = app.test_client()
        app.config["WTF_CSRF_ENABLED"] = False  # the test sign-in posts no token
        assert sign_in(client, user).status_code == 302
        app.config["WTF_CSRF_ENABLED"] = True  # the pages render their forms' tokens
        checked[role] = 0
        for path in paths + object_pages.get(role, []):
            response = client.get(path)
            if response.status_code >= 500:
                server_errors.append(f"{role} {path} {response.status_code}")
            if response.status_code == 200 and response.mimetype == "text/html":
                checked[role] += 1
                problems += [f"{role} {path}: {item}"
                             for item in inline_code(response.get_data(as_text=True))]
                assert_hardened(response)
            elif path in object_pages.get(role, []):
                problems.append(f"{role} {path}: answered {response.status_code}")
            response.close()

    assert problems == []
    assert server_errors == []
    assert all(count >= 3 for count in checked.values()), checked


def test_pages_before_sign_in_have_no_inline_code(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    for path in ("/sign-in", "/no-such-page"):
        assert inline_code(client.get(path).get_data(as_text=True)) == []
