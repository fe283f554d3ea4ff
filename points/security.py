"""Hardening headers on every response, and the session cookie's settings.

Every answer (pages, the JSON API, error pages, static files) carries a
Content-Security-Policy that allows scripts only from this site: no inline ``<script>``,
no ``on…=`` handlers, no ``eval``. Templates keep their code in ``static/js/`` and pass
data in ``data-`` attributes or a ``<script type="application/json">`` block (data, never
run). ``'wasm-unsafe-eval'`` lets the QR scanner compile its vendored zxing-wasm module;
it allows WebAssembly only, not JavaScript ``eval``. The camera stream is given to the
``<video>`` as ``srcObject``, which no fetch directive governs, so ``media-src`` stays
``'self'``. The API docs page (ReDoc, vendored) is the one page whose styles are inline:
it alone gets ``'unsafe-inline'`` for styles and ``blob:`` workers; its scripts are still
``'self'`` only.

Cookies: HttpOnly and SameSite=Lax always; Secure when ``SESSION_COOKIE_SECURE`` is on
(``JIFEN_SECURE_COOKIES``, on by default; ``make run`` turns it off because the demo is
plain http on 127.0.0.1), never in debug mode or tests.
"""
from flask import request

BASE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self' 'wasm-unsafe-eval'",
    "style-src": "'self'",
    # data: and blob: images cannot run script; they keep CSS icons and photo previews
    # (URL.createObjectURL) working.
    "img-src": "'self' data: blob:",
    "media-src": "'self'",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# ReDoc writes its styles into <style> elements and searches in a blob: worker.
DOCS_POLICY = {**BASE_POLICY, "style-src": "'self' 'unsafe-inline'", "worker-src": "'self' blob:"}
DOCS_ENDPOINTS = {"api-docs.openapi_redoc"}

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

HSTS = "max-age=31536000"


def policy_text(policy):
    return "; ".join(f"{name} {value}" for name, value in policy.items())


BASE_CSP = policy_text(BASE_POLICY)
DOCS_CSP = policy_text(DOCS_POLICY)


def add_security_headers(response):
    """Set the hardening headers a view has not set itself."""
    csp = DOCS_CSP if request.endpoint in DOCS_ENDPOINTS else BASE_CSP
    response.headers.setdefault("Content-Security-Policy", csp)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def secure_cookies(app):
    """HttpOnly, SameSite=Lax; Secure as configured, but never in debug mode or tests
    (both serve plain http)."""
    secure = bool(app.config.get("SESSION_COOKIE_SECURE")) and not (app.debug or app.testing)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax", REMEMBER_COOKIE_SECURE=secure,
    )


def init_app(app):
    secure_cookies(app)
    app.after_request(add_security_headers)
