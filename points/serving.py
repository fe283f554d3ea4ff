"""How answers travel: gzip, and cache headers for static files and pages.

Static files: every ``url_for('static', filename=...)`` gets ``?v=<hash of the file>``, so a
browser may keep a versioned file for a year (``immutable``) and a changed file has a new URL.
A static URL without ``v`` (one written in CSS or JS) is kept but checked again each time
(``no-cache``: the ETag makes that a short 304).

Pages and JSON answers are not cached (``no-store``) unless the view chose its own
Cache-Control (the mall's photos, the leaderboard's ``no-cache``): they show a person's points.

gzip (Flask-Compress) for HTML, CSS, JS, JSON and SVG of at least ``COMPRESS_MIN_SIZE`` bytes.
Streamed answers (the CSV and XLSX downloads) are never compressed: they stay streams, sent as
they are made. A byte range (206) is never compressed, as its offsets are those of the plain
file. In front of a busy site the proxy may serve /static/ itself; these headers still apply.
"""
import hashlib
import os
from functools import lru_cache

from flask import current_app, request
from flask_compress import Compress
from werkzeug.security import safe_join

compress = Compress()

STATIC_MAX_AGE = 365 * 24 * 3600

SETTINGS = {
    # gzip only: every browser has it, and one algorithm keeps the ETag variants few.
    "COMPRESS_ALGORITHM": ["gzip"],
    # Streamed answers (CSV/XLSX downloads) are never compressed; static files are read
    # into memory first (compress_answer), which keeps their Content-Length.
    "COMPRESS_STREAMS": False,
    "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/javascript", "application/javascript",
                           "application/json", "image/svg+xml"],
    "COMPRESS_MIN_SIZE": 500,
    "COMPRESS_LEVEL": 6,
    "COMPRESS_REGISTER": False,  # compress_answer below calls it
}


def init_app(app):
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    compress.init_app(app)
    app.url_defaults(version_static_urls)
    # after_request functions run last-registered first: caching is decided, then compressed.
    app.after_request(compress_answer)
    app.after_request(cache_headers)


@lru_cache(maxsize=1024)
def _digest(path, mtime_ns, size):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


def file_version(filename):
    """A short hash of a static file's contents (read again only when the file changes), or
    None when there is no such file."""
    path = safe_join(current_app.static_folder, filename)
    try:
        found = os.stat(path) if path else None
    except OSError:
        return None
    return _digest(path, found.st_mtime_ns, found.st_size) if found else None


def version_static_urls(endpoint, values):
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = file_version(values["filename"])
        if version:
            values["v"] = version


def cache_headers(response):
    if request.endpoint == "static":
        if response.status_code in (200, 304):
            if request.args.get("v"):
                response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}, immutable"
            else:
                response.headers["Cache-Control"] = "no-cache"
    elif response.mimetype in ("text/html", "application/json"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def compress_answer(response):
    """Flask-Compress's hook, with two cases of our own: a byte range (206) is left alone, its
    offsets being those of the plain file; a static file worth compressing is read into memory
    (they are small, and versioned ones are fetched once), as streams are not compressed."""
    if response.status_code == 206:
        return response
    if (request.endpoint == "static" and response.status_code == 200 and response.is_streamed
            and response.mimetype in compress.compress_mimetypes_set
            and (response.content_length or 0) >= current_app.config["COMPRESS_MIN_SIZE"]
            and request.accept_encodings["gzip"] > 0):
        response.direct_passthrough = False
        response.make_sequence()  # closes the file when the answer is closed
    return compress.after_request(response)
