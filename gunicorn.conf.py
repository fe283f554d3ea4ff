"""Gunicorn settings for serving 积分超市 in production: ``gunicorn -c gunicorn.conf.py wsgi:app``
(``make serve``). Every number can be changed from the environment without editing this file.

Settings reference: https://docs.gunicorn.org/en/stable/settings.html
"""
import os


def cores():
    """CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def number(name, default, *fallbacks):
    """The first of ``name`` and ``fallbacks`` set in the environment, as an int; else ``default``."""
    for key in (name, *fallbacks):
        if os.environ.get(key):
            return int(os.environ[key])
    return default


# Where to listen. The TLS proxy (nginx, Caddy) in front forwards to this address; it stays on
# 127.0.0.1 unless the proxy runs elsewhere (BIND=0.0.0.0:8000, or BIND=unix:/run/jifen.sock).
bind = os.environ.get("BIND", "127.0.0.1:8000")

# Processes: the usual 2 × cores + 1, so a worker waiting on the database still leaves a core
# busy. WEB_CONCURRENCY is the name many platforms set.
workers = number("GUNICORN_WORKERS", 2 * cores() + 1, "WEB_CONCURRENCY")

# Threads in each process (gthread): pages mostly wait on the database, and threads share a
# worker's memory and its connection pool. points/config.py sizes that pool to this number.
worker_class = "gthread"
threads = number("GUNICORN_THREADS", 4)

# A request still running after `timeout` seconds gets its worker killed and replaced; the
# slowest answers (a year's XLSX report) take a few seconds, so 60 leaves room. On a restart
# (SIGHUP, a deploy) workers get `graceful_timeout` seconds to finish what they are doing.
timeout = number("GUNICORN_TIMEOUT", 60)
graceful_timeout = number("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Seconds an idle keep-alive connection from the proxy stays open (the proxy reuses it).
keepalive = number("GUNICORN_KEEPALIVE", 5)

# Replace each worker after about this many requests, a slow leak never grows for ever; the
# jitter staggers the restarts so the workers do not all restart at once.
max_requests = number("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = number("GUNICORN_MAX_REQUESTS_JITTER", 200)

# Not preloaded: each worker imports the app itself after the fork, so each gets its own
# SQLAlchemy engine and connection pool (database connections must not cross a fork).
preload_app = False

# Access log and errors to stdout/stderr, for systemd's journal or the container's log.
# %(M)s is the time the request took in milliseconds; %({x-forwarded-for}i)s the client's
# address as the proxy saw it.
accesslog = "-"
errorlog = "-"
access_log_format = ('%(h)s %({x-forwarded-for}i)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms '
                     '"%(f)s" "%(a)s"')

# X-Forwarded-Proto (https) is trusted only from these addresses: the proxy on this machine by
# default; set FORWARDED_ALLOW_IPS to the proxy's address when it runs elsewhere.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
