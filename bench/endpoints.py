"""Baseline endpoints for ``bench/http.py``, registered only when ``JIFEN_BENCH_ENDPOINTS=1``.

* ``GET /bench/bare``: a tiny JSON answer, no database: the server's read ceiling.
* ``POST /bench/raw-hold`` ``{"account", "destination", "escrow", "amount"}`` (amount in
  hundredths): the ledger rows of a voucher's hold written by hand through ``psycopg``, as
  ``ledger.hold`` writes them: the three accounts locked in id order, the hold, the
  transfer wallet → escrow, both balances, both entries with ``balance_after``, the
  wallet's ``held``, the hold's transfer id; one commit.
* ``POST /bench/raw-redeem`` ``{"hold_id"}``: the ledger rows of a redemption, as
  ``ledger.post_hold`` writes them: the hold locked, then the owner's, escrow and
  destination accounts, the transfer escrow → destination, balances, entries, ``held``
  and the hold's outcome; one commit.

Both read nothing through SQLAlchemy: one ``psycopg`` connection per server thread. The
SQL follows the raw baseline of ``bench/ledger.py``. Never enabled in production.
"""
import threading

import psycopg
from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import make_url

from ledger.models import utcnow
from points.extensions import csrf

bp = Blueprint("bench", __name__, url_prefix="/bench")
_local = threading.local()

TRANSFER = ("INSERT INTO ledger_transfers (community_id, ledger, key, kind, amount, "
            "debit_account_id, credit_account_id, reason, actor_id, ref_type, hold_id, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (key) DO NOTHING RETURNING id")
ENTRIES = ("INSERT INTO ledger_entries (transfer_id, account_id, amount, balance_after, created_at) "
           "VALUES (%s, %s, %s, %s, %s), (%s, %s, %s, %s, %s)")
BALANCES = ("UPDATE ledger_accounts SET balance = CASE WHEN id = %s THEN %s ELSE %s END "
            "WHERE id IN (%s, %s)")
ADD_HELD = "UPDATE ledger_accounts SET held = held + %s WHERE id = %s"
LOCK = ("SELECT id, balance, allow_negative, ledger, community_id FROM ledger_accounts "
        "WHERE id IN (%s, %s, %s) ORDER BY id FOR UPDATE")


def connection():
    """This thread's own connection (gunicorn's gthread workers run several threads)."""
    if getattr(_local, "connection", None) is None:
        url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
        _local.connection = psycopg.connect(url.render_as_string(hide_password=False))
        _local.counter = 0
    return _local.connection


def _key(prefix):
    _local.counter += 1
    return f"bench-{prefix}:{threading.get_native_id()}:{_local.counter}:{utcnow().timestamp()}"


def _move(cursor, rows, debit, credit, hundredths, kind, key, hold_id, now):
    """Transfer ``debit`` → ``credit`` with its balances and entries; returns its id."""
    source, target = rows[debit], rows[credit]
    if not source[2] and source[1] < hundredths:
        raise RuntimeError("insufficient balance")
    debit_after, credit_after = source[1] - hundredths, target[1] + hundredths
    cursor.execute(BALANCES, (debit, debit_after, credit_after, debit, credit))
    transfer_id = cursor.execute(TRANSFER, (
        source[4], source[3], key, kind, hundredths, debit, credit, "bench", None, "voucher",
        hold_id, now)).fetchone()[0]
    cursor.execute(ENTRIES, (transfer_id, debit, -hundredths, debit_after, now,
                             transfer_id, credit, hundredths, credit_after, now))
    return transfer_id


@bp.get("/bare")
def bare():
    return jsonify(ok=True)


@bp.post("/raw-hold")
def raw_hold():
    body = request.get_json()
    account, destination, escrow = body["account"], body["destination"], body["escrow"]
    hundredths = int(body["amount"])
    conn = connection()
    try:
        with conn.cursor() as cursor:
            rows = {row[0]: row for row in
                    cursor.execute(LOCK, sorted((account, destination, escrow)))}
            now = utcnow()
            source = rows[account]
            hold_id = cursor.execute(
                "INSERT INTO ledger_holds (community_id, ledger, account_id, destination_account_id, "
                "escrow_account_id, amount, status, created_at) VALUES (%s, %s, %s, %s, %s, %s, "
                "'pending', %s) RETURNING id",
                (source[4], source[3], account, destination, escrow, hundredths, now)).fetchone()[0]
            transfer_id = _move(cursor, rows, account, escrow, hundredths, "hold", _key("hold"),
                                hold_id, now)
            cursor.execute(ADD_HELD, (hundredths, account))
            cursor.execute("UPDATE ledger_holds SET hold_transfer_id = %s WHERE id = %s",
                           (transfer_id, hold_id))
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return jsonify(hold_id=hold_id), 201


@bp.post("/raw-redeem")
def raw_redeem():
    hold_id = int(request.get_json()["hold_id"])
    conn = connection()
    try:
        with conn.cursor() as cursor:
            found = cursor.execute(
                "SELECT status, account_id, escrow_account_id, destination_account_id, amount "
                "FROM ledger_holds WHERE id = %s FOR UPDATE", (hold_id,)).fetchone()
            if found is None or found[0] != "pending":
                conn.rollback()
                return jsonify(error="hold_resolved"), 409
            _status, owner, escrow, destination, hundredths = found
            rows = {row[0]: row for row in
                    cursor.execute(LOCK, sorted((owner, escrow, destination)))}
            now = utcnow()
            transfer_id = _move(cursor, rows, escrow, destination, hundredths, "redeem",
                                _key("redeem"), hold_id, now)
            cursor.execute(ADD_HELD, (-hundredths, owner))
            cursor.execute("UPDATE ledger_holds SET status = 'posted', outcome_transfer_id = %s, "
                           "resolved_at = %s WHERE id = %s", (transfer_id, now, hold_id))
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return jsonify(hold_id=hold_id), 201


def register(app):
    csrf.exempt(bp)
    app.register_blueprint(bp)
