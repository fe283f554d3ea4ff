"""CSRF on every form: each page route that changes something refuses a post without the
form's token, with a plain message, before it looks at the data, and changes nothing.

The routes come from the URL map, so a new form route is covered the day it is added.
The JSON API is exempt (bearer tokens, never cookies) and is listed here so that an
exemption cannot spread unnoticed. That every rendered POST form carries the token is
checked by the page walk in test_security_headers.py.
"""
import re

from sqlalchemy import func, select
from werkzeug.routing import AnyConverter, IntegerConverter

from ledger.models import Entry, Transfer
from tests.factories import PASSWORD
from tests.points.test_security_headers import make_world

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def form_routes(app):
    """(method, path) of every state-changing page route, with each URL part filled in
    with the first object's id or the first allowed word."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api") or not rule.methods & WRITES:
            continue
        values = {}
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                values[name] = 1
            elif isinstance(converter, AnyConverter):
                values[name] = sorted(converter.items)[0]
            else:
                values[name] = "1"
        _, path = rule.build(values, append_unknown=False)
        routes += [(method, path) for method in sorted(rule.methods & WRITES)]
    return sorted(set(routes))


def fingerprint(session):
    session.expire_all()
    return (session.scalar(select(func.count()).select_from(Transfer)),
            session.scalar(select(func.count()).select_from(Entry)))


def signed_in(client, user):
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/sign-in", data={"phone": user.phone, "password": PASSWORD,
                                             "csrf_token": token})
    assert response.status_code == 302
    return token


def test_every_form_route_refuses_a_post_without_its_token(csrf_client):
    client, session = csrf_client
    app = client.application
    people, _ = make_world(session)
    staff = people["staff"]
    signed_in(client, staff)
    before = fingerprint(session)
    routes = form_routes(app)

    wrong = []
    for method, path in routes:
        response = client.open(path, method=method, data={"points": "100", "note": "x"})
        text = response.get_data(as_text=True)
        if response.status_code != 400 or "这个页面已过期或不完整" not in text:
            wrong.append(f"{method} {path}: {response.status_code}")

    assert len(routes) > 60, routes
    assert wrong == []
    assert fingerprint(session) == before


def test_a_wrong_or_stale_token_is_refused_and_the_right_one_passes(csrf_client):
    client, session = csrf_client
    people, _ = make_world(session)
    token = signed_in(client, people["resident"])

    forged = client.post("/elder-mode/on", data={"csrf_token": "forged"})
    other_session = client.application.test_client()
    stolen = other_session.post("/elder-mode/on", data={"csrf_token": token})
    right = client.post("/elder-mode/on", data={"csrf_token": token})

    assert forged.status_code == stolen.status_code == 400
    assert right.status_code == 302


def test_the_refusal_speaks_english(csrf_client):
    client, session = csrf_client
    client.set_cookie("lang", "en")

    response = client.post("/sign-in", data={"phone": "13800000000", "password": "x"})

    assert response.status_code == 400
    assert "This page has expired" in response.get_data(as_text=True)


def test_only_the_json_api_is_exempt(csrf_client):
    client, _ = csrf_client
    app = client.application
    blueprints = app.extensions["csrf"]._exempt_blueprints
    exempt = {getattr(blueprint, "name", blueprint) for blueprint in blueprints}
    assert exempt and all(name.startswith("api") for name in exempt), exempt
    assert app.extensions["csrf"]._exempt_views == set()
