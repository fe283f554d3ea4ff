"""Bad input on every JSON write of the API (issue #9 item 5), beyond what
tests/contract/test_schemathesis.py draws from the document (valid and schema-invalid
values, as JSON): each field of each operation's request schema gets hostile values the
document cannot express (``1e309``, ``NaN``, ``Infinity`` as JSON literals, integers past
int64, negative, odd unicode, empty, nested objects, arrays), and the body goes as JSON,
as a form, as multipart or as plain text; whole bodies that are not an object, nested ten
thousand deep, a number of five thousand digits, not UTF-8; and a body past
``MAX_CONTENT_LENGTH`` (413, translated, on the API and on pages).

Every answer is a success or a clear error: never a 500; an error has the one error shape
with a translated message, and leaves the ledger as it was; a success that moved points
carried no poisoned number.
"""
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from points.config import Config
from points.extensions import limiter
from tests import factories
from tests.points.fuzzing import (CJK, HOSTILE_STRINGS, fingerprint, fuzz, is_poisoned, role_for,
                                  site, used)

__all__ = ["site"]  # the module fixture, imported so pytest finds it

EXAMPLES = {"sqlite": 15, "postgresql": 8}
SIGN_OUT = ("delete", "/api/v1/auth/token")


class Raw(str):
    """A JSON literal sent as written (``1e309``, ``NaN``, a 30-digit integer)."""


RAW_NUMBERS = tuple(Raw(text) for text in (
    "1e309", "-1e309", "NaN", "Infinity", "-Infinity", "1e-400", "-0", "0.5", "-1",
    str(2**31), str(2**63), str(2**64), str(-(2**63) - 1), str(10**30), "2147483647.0"))
ODD_JSON = (None, True, False, [], {}, {"$gt": 0}, [1, 2], {"a": {"b": {"c": []}}}, 0, -1, 1.5)


def encode(value):
    """JSON text of ``value``, with ``Raw`` parts verbatim."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(key)}: {encode(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(encode(item) for item in value) + "]"
    return json.dumps(value)


def hostile(kind):
    leaf = st.one_of(st.sampled_from(RAW_NUMBERS), HOSTILE_STRINGS, st.sampled_from(ODD_JSON),
                     st.integers(min_value=-(2**70), max_value=2**70))
    nested = st.one_of(st.lists(leaf, max_size=3), st.dictionaries(st.text(max_size=5), leaf, max_size=2))
    if kind == "array":  # a list of objects (scores, attendees): hostile items and fields
        item = st.dictionaries(st.sampled_from(["user_id", "household_id", "hours", "personal",
                                                "home", "public", "x"]), leaf, max_size=4)
        return st.one_of(st.lists(st.one_of(item, leaf), max_size=3), leaf)
    return st.one_of(leaf, leaf, leaf, nested)


def write_operations(app):
    """(method, path, fields) of every write in the document, ``fields`` its JSON fields."""
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in ("post", "put", "patch", "delete"):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema", {})
            if "$ref" in schema:
                schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
            fields = {name: spec.get("type", "string") for name, spec in schema.get("properties", {}).items()}
            yield method, path, fields


def writes(site):
    """(method, path, url, role, fields) of every write: its URL with the site's ids, the
    role it is called as (None: the token endpoint, which takes no token)."""
    for method, path, fields in write_operations(site.app):
        url = url_for_path(site, path)
        role = None if path == "/api/v1/auth/token" and method == "post" else role_for(
            endpoint_view(site.app, method, url), method.upper())
        yield method, path, url, role, fields


def endpoint_view(app, method, url):
    endpoint, _ = app.url_map.bind("localhost").match(url, method=method.upper())
    return app.view_functions[endpoint]


def url_for_path(site, path):
    for name in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
        path = path.replace("{" + name + "}", str(site.ids.get(name, 1)))
    return path


def headers_for(site, role, method, path):
    if role is None:
        return {}
    if (method, path) == SIGN_OUT:  # signing out revokes the token it is sent with
        from points.extensions import db
        from tests.contract.conftest import issue_token

        with site.app.app_context():
            return {"Authorization": f"Bearer {issue_token(db.session, site.users[role].id)}"}
    return {"Authorization": f"Bearer {site.tokens[role]}"}


def send(client, method, url, headers, fields, body):
    """``fields`` as the body of kind ``body``: JSON (literals verbatim), a form, multipart
    or plain text (all three: not JSON, whatever the text)."""
    if body == "json":
        return client.open(url, method=method, headers=headers, data=encode(fields),
                           content_type="application/json")
    flat = {name: value if isinstance(value, str) else encode(value) for name, value in fields.items()}
    if body == "text":
        return client.open(url, method=method, headers=headers, data=encode(fields),
                           content_type="text/plain")
    return client.open(url, method=method, headers=headers, data=flat or {"x": "1"},
                       content_type="multipart/form-data" if body == "multipart"
                       else "application/x-www-form-urlencoded")


def clear_error(response):
    """The one error shape, its message translated (Chinese by default)."""
    body = response.get_json(silent=True) if response.is_json else None
    return (isinstance(body, dict) and isinstance(body.get("error"), dict)
            and body["error"].get("code") and CJK.search(body["error"].get("message") or ""))


def judge(site, where, response, before, values, failures):
    after = fingerprint(site)
    if response.status_code >= 500:
        failures.append(f"{where}: {response.status_code} {response.get_data(as_text=True)[:200]}")
    elif response.status_code >= 400:
        if after != before:
            failures.append(f"{where}: refused ({response.status_code}) but the ledger moved")
        elif not clear_error(response):
            failures.append(f"{where}: unclear error {response.status_code} {response.get_data(as_text=True)[:200]}")
    elif after != before and is_poisoned(values):
        failures.append(f"{where}: {response.status_code}, a poisoned number moved the ledger")


def short(values):
    return {name: value[:20] + "…" if isinstance(value, str) and len(value) > 60 else value
            for name, value in values.items()}


@pytest.mark.slow  # about 10 s on SQLite, 7 s on PostgreSQL
def test_every_json_write_refuses_hostile_fields(site):
    """Every write operation the document lists (a new one is fuzzed without listing it)."""
    client = site.app.test_client()
    broken = []
    for method, path, url, role, fields in writes(site):
        names = fields or {"x": "string"}
        failures = []

        @fuzz(EXAMPLES[site.backend])
        @given(values=st.fixed_dictionaries({name: hostile(kind) for name, kind in names.items()}),
               body=st.sampled_from(("json", "json", "json", "form", "multipart", "text")))
        def run(values, body):
            if len(failures) >= 2:
                return
            limiter.reset()
            headers = headers_for(site, role, method, path)
            before = fingerprint(site)
            response = used(send(client, method, url, headers, values, body))
            judge(site, f"{method.upper()} {url} as {role} ({body}) {short(values)}", response,
                  before, values, failures)

        run()
        broken.extend(failures)
    assert not broken, f"{len(broken)} bad answers:\n" + "\n".join(broken)


# Whole bodies no JSON schema reads: not an object, too deep for the parser, a number past
# Python's digit limit, bytes that are not UTF-8, JSON's non-standard literals.
BAD_BODIES = ("[]", '"x"', "null", "1e309", "NaN", "-Infinity", "[" * 10_000 + "]" * 10_000,
              '{"a": ' * 5_000 + "1" + "}" * 5_000, "9" * 5_000, '{"code": 1' + "0" * 5_000 + "}",
              b"\xff\xfe{\x00}", '{"offer_id": 1, "offer_id": "x"}', "{", "")


def test_every_json_write_refuses_bad_bodies(site):
    client = site.app.test_client()
    broken = []
    for method, path, url, role, _fields in writes(site):
        for body in BAD_BODIES if site.backend == "sqlite" else BAD_BODIES[3:7]:
            limiter.reset()
            before = fingerprint(site)
            response = used(client.open(url, method=method, data=body, content_type="application/json",
                                        headers=headers_for(site, role, method, path)))
            judge(site, f"{method.upper()} {url} as {role} body {str(body)[:30]!r}", response,
                  before, {"body": body}, broken)
    assert not broken, f"{len(broken)} bad answers:\n" + "\n".join(broken)


def oversized():
    return b"{" + b" " * Config.MAX_CONTENT_LENGTH + b"}"


def test_a_body_over_the_limit_is_413_translated_on_the_api(site):
    """``MAX_CONTENT_LENGTH`` (points/config.py) is refused before anything is read: 413 in
    the error shape, in the caller's language, the ledger untouched."""
    client = site.app.test_client()
    body = oversized()
    url = "/api/v1/vouchers"
    headers = {"Authorization": f"Bearer {site.tokens['resident']}"}
    before = fingerprint(site)
    for content_type in ("application/json", "multipart/form-data; boundary=x", "text/plain"):
        response = used(client.post(url, data=body, content_type=content_type, headers=headers))
        assert response.status_code == 413, (content_type, response.status_code)
        assert response.get_json()["error"] == {"code": "too_large", "message": "上传的内容太大了"}
    english = used(client.post(url, data=body, content_type="application/json",
                               headers={**headers, "Accept-Language": "en"}))
    assert english.status_code == 413
    assert english.get_json()["error"]["message"] == "The upload is too large"
    assert fingerprint(site) == before


def test_a_body_over_the_limit_is_413_translated_on_pages(site):
    app = site.app
    client = app.test_client()
    limiter.reset()
    assert used(factories.sign_in(client, site.users["resident"])).status_code == 302
    body = oversized()
    before = fingerprint(site)
    for url in ("/claims/new", "/mall/pay", "/requests/new"):
        for content_type in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
            response = used(client.post(url, data=body, content_type=content_type))
            assert response.status_code == 413, (url, content_type, response.status_code)
            assert "上传的内容太大了" in response.get_data(as_text=True)
    client.set_cookie("lang", "en")
    english = used(client.post("/claims/new", data=body, content_type="application/x-www-form-urlencoded"))
    assert english.status_code == 413 and "The upload is too large" in english.get_data(as_text=True)
    assert fingerprint(site) == before


def test_json_literals_beyond_numbers_are_refused_as_input(site):
    """Python's JSON reader takes ``NaN``, ``Infinity`` and ``1e309`` (which it reads as
    infinity): none may reach an amount, on either database."""
    client = site.app.test_client()
    headers = {"Authorization": f"Bearer {site.tokens['resident']}"}
    before = fingerprint(site)
    for literal in ("NaN", "Infinity", "-Infinity", "1e309", str(10**30), "-5", "0"):
        for field in ("points", "merchant_id"):
            body = {"merchant_id": Raw(str(site.ids["merchant_id"])), "points": Raw('"20"')}
            body[field] = Raw(literal)
            response = used(client.post("/api/v1/vouchers", data=encode(body),
                                        content_type="application/json", headers=headers))
            assert response.status_code == 422 and clear_error(response), (literal, field, response.get_json())
    assert fingerprint(site) == before
    assert math.isinf(json.loads("1e309"))  # what the reader makes of it
