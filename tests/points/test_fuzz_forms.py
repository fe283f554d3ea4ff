"""Bad input on every page form (issue #9 item 5): each POST route outside /api/, posted by
a role that may use it, with hypothesis-drawn hostile values in the fields its form has.

Field names come from the forms the pages render (every GET page crawled as every role
allowed on it; a button's ``formaction`` counts too), else from the WTForms classes the
view's module uses. Each value is hostile (poisoned numbers, odd or huge text, several
values for one name) or plausible, and the body goes as a form, multipart, JSON or plain
text. Every answer must be a success or a clear refusal: never a 500; a refusal (4xx, a
re-shown form, an error flash) is translated and leaves the ledger as it was; a success
that moved points carried no poisoned number. Ids beyond int4 and int8 (PostgreSQL's and
SQLite's integer columns), in paths and in id fields, are refused, never a 500.
"""
import io
import sys
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from flask_wtf import FlaskForm
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from points.extensions import limiter
from tests import factories
from tests.points.fuzzing import (CJK, HOSTILE_STRINGS, PREFERENCE, allowed_roles,
                                  check_refusal_text, fingerprint, fuzz, is_poisoned, path_values,
                                  role_for, site, used)

__all__ = ["site"]  # the module fixture, imported so pytest finds it

# Cases per route: the broad sweep on SQLite; on PostgreSQL (whose integer and numeric
# columns refuse what SQLite stores) fewer, half of their values poisoned numbers.
EXAMPLES = {"sqlite": 10, "postgresql": 6}
BODY_KINDS = ("form", "form", "multipart", "json", "text")
# Routes that change the client's own session (language, signing in or out, acting for
# someone): each gets a client of its own.
OWN_CLIENT = {"web.sign_in", "web.sign_out", "web.set_language", "web.set_elder_mode",
              "web.change_password", "residents.act_for", "residents.stop"}
SKIPPED_PAGES = (".png", ".csv", ".xlsx", "/print", "/photo", "/photos/", "/export", "/template",
                 "/screen", "/statement.", "/data", "/qr")
_crawled = {}


class FormFinder(HTMLParser):
    """Every ``<form method=post>``: its action(s) and its fields' names and types."""

    def __init__(self, page_url):
        super().__init__()
        self.page_url, self.forms, self.current = page_url, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.current = {"actions": {attrs.get("action") or self.page_url}, "fields": {}}
            self.forms.append(self.current)
        elif self.current is not None and tag in ("input", "select", "textarea", "button"):
            if attrs.get("formaction"):
                self.current["actions"].add(attrs["formaction"])
            name = attrs.get("name")
            if name and name != "csrf_token" and attrs.get("type") != "submit":
                kind = "file" if attrs.get("type") == "file" else (
                    "number" if attrs.get("type") == "number" else "text")
                self.current["fields"][name] = kind

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def signed_in(app, user):
    client = app.test_client()
    limiter.reset()
    response = factories.sign_in(client, user)
    assert used(response).status_code == 302, response.status_code
    return client


def crawl(site, clients):
    """POST endpoint → {field: kind}, from every page every allowed role can open."""
    app = site.app
    adapter = app.url_map.bind("localhost")
    found = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/static")) or any(
                part in rule.rule for part in SKIPPED_PAGES):
            continue
        url = adapter.build(rule.endpoint, path_values(rule, site), method="GET")
        allowed = allowed_roles(app.view_functions[rule.endpoint], "GET")
        for role in PREFERENCE:
            if allowed is not None and role not in allowed:
                continue
            response = used(clients[role].get(url))
            if response.status_code != 200 or not response.is_json and "<form" not in response.text:
                continue
            finder = FormFinder(url)
            finder.feed(response.text)
            for form in finder.forms:
                for action in form["actions"]:
                    try:
                        endpoint, _ = adapter.match(urlsplit(action).path, method="POST")
                    except HTTPException:
                        continue
                    found.setdefault(endpoint, {}).update(form["fields"])
    return found


def module_form_fields(view):
    """Fields of every WTForms class the view's module uses (when no page shows its form)."""
    module = sys.modules[getattr(view, "__module__", "")]
    fields = {}
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, FlaskForm) and value is not FlaskForm:
            for name, unbound in vars(value).items():
                if hasattr(unbound, "field_class"):
                    kind = unbound.field_class.__name__
                    fields[name] = "file" if "File" in kind else (
                        "number" if kind in ("IntegerField", "DecimalField", "FloatField") else "text")
    return fields


def post_routes(app):
    return sorted((rule for rule in app.url_map.iter_rules()
                   if rule.methods & {"POST", "PUT", "DELETE"} and not rule.rule.startswith("/api/")),
                  key=lambda rule: rule.rule)


def field_values(fields, site):
    """A strategy of {name: value}: each hostile, a few values at once, or plausible."""
    plausible = st.sampled_from(["1", "10", str(site.ids["activity_id"]), "2026-11-24", "测试",
                                 site.period, "on"])

    def value(kind):
        if kind == "file":
            return st.binary(max_size=64).map(lambda data: (io.BytesIO(data), "x.jpg"))
        single = st.one_of(HOSTILE_STRINGS, HOSTILE_STRINGS, plausible)
        return st.one_of(single, st.lists(single, min_size=2, max_size=3))

    return st.fixed_dictionaries({name: value(kind) for name, kind in fields.items()})


def send(client, method, url, fields, body):
    plain = {name: value for name, value in fields.items() if not isinstance(value, tuple)}
    if body == "json":
        return client.open(url, method=method, json=plain)
    if body == "text":
        return client.open(url, method=method, data=urlencode(plain, doseq=True),
                           content_type="text/plain")
    if body == "multipart":
        return client.open(url, method=method, data=fields, content_type="multipart/form-data")
    return client.open(url, method=method, data=plain)


def outcome(client, response):
    """``crash``, ``refused`` (4xx), ``flashed`` (a redirect with an error flash: its
    message is returned), ``accepted`` (a redirect without one) or ``shown`` (a page, e.g.
    the form again with its errors)."""
    status = response.status_code
    if status >= 500:
        return "crash", None
    if status >= 400:
        return "refused", None
    with client.session_transaction() as http_session:
        flashes = http_session.pop("_flashes", [])
    errors = [message for category, message in flashes if category == "error"]
    if status in (301, 302, 303):
        return ("flashed", errors[0]) if errors else ("accepted", None)
    return "shown", None


def fuzz_route(site, rule, client, fields, broken):
    method = sorted(rule.methods & {"POST", "PUT", "DELETE"})[0]
    url = site.app.url_map.bind("localhost").build(rule.endpoint, path_values(rule, site),
                                                   method=method)
    failures = []

    @fuzz(EXAMPLES[site.backend])
    @given(values=field_values(fields, site), body=st.sampled_from(BODY_KINDS))
    def run(values, body):
        if len(failures) >= 2:
            return
        limiter.reset()
        before = fingerprint(site)
        response = used(send(client, method, url, values, body))
        result, flashed = outcome(client, response)
        after = fingerprint(site)
        shown = {name: (value if not isinstance(value, str) or len(value) < 60 else value[:20] + "…")
                 for name, value in values.items()}
        where = f"{method} {url} ({body}) {shown}"
        if result == "crash":
            failures.append(f"{where}: {response.status_code}")
        elif result in ("refused", "flashed", "shown") and after != before:
            failures.append(f"{where}: {result} ({response.status_code}) but the ledger moved")
        elif result == "accepted" and after != before and is_poisoned(values):
            failures.append(f"{where}: a poisoned number moved the ledger")
        elif result == "refused":
            try:
                check_refusal_text(response)
            except AssertionError as error:
                failures.append(f"{where}: refusal not explained ({response.status_code}): {error}")
        elif result == "flashed" and not CJK.search(flashed):
            failures.append(f"{where}: flash not translated: {flashed}")

    run()
    broken.extend(failures)


@pytest.mark.slow  # about 40 s on SQLite, 20 s on PostgreSQL
def test_every_form_refuses_bad_input(site):
    """Every POST route outside /api/ (a new one is fuzzed without listing it here)."""
    app = site.app
    clients = {role: signed_in(app, site.users[role]) for role in PREFERENCE}
    if "fields" not in _crawled:
        _crawled["fields"] = crawl(site, clients)
    crawled = _crawled["fields"]
    broken = []
    for rule in post_routes(app):
        view = app.view_functions[rule.endpoint]
        fields = crawled.get(rule.endpoint) or module_form_fields(view)
        role = role_for(view)
        if rule.endpoint == "web.sign_in":
            client = app.test_client()
        elif rule.endpoint in OWN_CLIENT:
            client = signed_in(app, site.users[role])
        else:
            client = clients[role]
        if not fields:
            fields = {"x": "text"}  # an action button: still posted bodies of every kind
        fuzz_route(site, rule, client, fields, broken)
    assert not broken, f"{len(broken)} bad answers:\n" + "\n".join(broken)


def test_ids_beyond_the_integer_columns_name_nothing(site):
    """An id past int4 or int8 in a form route's path is refused (404, or the page's error
    flash), never a 500: both databases refuse to compare an INTEGER column with it."""
    app = site.app
    adapter = app.url_map.bind("localhost")
    clients = {}
    broken = []
    for rule in post_routes(app):
        if not any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            continue
        role = role_for(app.view_functions[rule.endpoint])
        if role not in clients:
            clients[role] = signed_in(app, site.users[role])
        for huge in (2**31, 2**63, 10**30):
            url = adapter.build(rule.endpoint, path_values(rule, site, override=huge), method="POST")
            before = fingerprint(site)
            response = used(clients[role].post(url, data={"note": "x"}))
            result, flashed = outcome(clients[role], response)
            if result not in ("refused", "flashed") or fingerprint(site) != before:
                broken.append(f"POST {url} as {role}: {response.status_code} {result}")
            elif result == "refused":
                check_refusal_text(response)
    assert not broken, "\n".join(broken)


def test_ids_in_fields_beyond_the_integer_columns_are_refused(site):
    """The id fields the fuzzing found reaching a query unchecked (a select's ``coerce``,
    ``request.form.get(type=…)``), each with ids past int4 and int8: refused (4xx, the
    form again, or back with a message), never a 500 and never done as if it were absent;
    only "mark all read up to" may ignore a bound that names no row."""
    app, ids = site.app, site.ids
    cases = [
        ("resident", "/claims/new", {"type_id": "{}", "work_day": "2026-11-24", "description": "x"}),
        ("resident", "/claims/new", {"acting_for": "{}", "type_id": str(ids["type_id"]),
                                     "work_day": "2026-11-24", "description": "x"}),
        ("admin", "/staff/claims/approve", {"claim_ids": ["{}", "{}"]}),
        ("admin", f"/staff/activities/{ids['activity_id']}/attendance", {"present": ["{}"]}),
        ("resident", "/notifications/read-all", {"up_to": "{}"}),
        ("district_admin", "/staff/residents/community", {"community_id": "{}"}),
        ("resident", f"/coupons/{ids['coupon_id']}/use", {"merchant_id": "{}"}),
        ("resident", "/mall/pay", {"merchant_id": "{}", "points": "5", "request_key": "k"}),
        ("admin", "/staff/activities/new", {"type_id": "{}", "title": "x", "place": "x",
                                            "starts_at": "2026-12-01T09:00",
                                            "ends_at": "2026-12-01T10:00"}),
        ("admin", "/staff/residents/new", {"grid_id": "{}", "name": "x", "phone": "13900000000",
                                           "address": "x"}),
        ("merchant_owner", "/merchant/devices", {"clerk_id": "{}", "label": "x"}),
        ("admin", f"/staff/requests/{ids['request_id']}/merge", {"into_id": "{}"}),
        ("resident", f"/requests/{ids['request_id']}/confirm", {"acting_for": "{}", "rating": "5"}),
        ("admin", f"/tasks/{ids['task_id']}/messages", {"from": "request", "request_id": "{}",
                                                       "body": "x"}),
    ]
    clients = {}
    broken = []
    for role, url, template in cases:
        if role not in clients:
            clients[role] = signed_in(app, site.users[role])
        for huge in (2**31, 2**63, 10**30):
            data = {name: [item.format(huge) for item in value] if isinstance(value, list)
                    else value.format(huge) for name, value in template.items()}
            before = fingerprint(site)
            response = used(clients[role].post(url, data=data))
            result, _flashed = outcome(clients[role], response)
            if result == "crash" or fingerprint(site) != before:
                broken.append(f"POST {url} {data} as {role}: {response.status_code}")
            elif result == "accepted" and not url.endswith("/read-all"):  # there: an optional bound
                broken.append(f"POST {url} {data} as {role}: accepted ({response.headers['Location']})")
    assert not broken, "\n".join(broken)
