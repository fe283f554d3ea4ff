"""Random sequences of ledger operations keep every invariant and agree with a model.

The model is a dict of balances, helds and hold states, updated by what each operation
should do; the ledger must refuse exactly the operations the model says would overdraw
or resolve a hold twice, and ``verify()`` must stay empty. Each example runs in a
community of its own, so examples never see each other's accounts.
"""
import itertools
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ledger
from ledger.errors import (
    AlreadyReversedError,
    HoldResolvedError,
    InsufficientPointsError,
    NotReversibleError,
)
from ledger.expiry import LOCAL_ZONE, expire_points
from ledger.verify import verify
from tests.ledger.book import Book

USERS = 3  # residents 0..2; index 3 is the shop
START = datetime(2023, 1, 1, 4, tzinfo=timezone.utc)
_communities = itertools.count(1000)
_keys = itertools.count(1)  # one key per attempt: a repeated key would be a replay

amounts = st.integers(min_value=1, max_value=60)
users = st.integers(min_value=0, max_value=USERS - 1)
picks = st.integers(min_value=0, max_value=50)  # which earlier hold or transfer
OPERATIONS = st.one_of(
    st.tuples(st.just("fund"), users, amounts, st.sampled_from(["earn", "grant", "coupon"])),
    st.tuples(st.just("move"), users, st.integers(0, USERS), amounts),
    st.tuples(st.just("hold"), users, amounts),
    st.tuples(st.sampled_from(["post", "void"]), picks),
    st.tuples(st.just("reverse"), picks),
    st.tuples(st.just("expire")),
)
STEPS = st.lists(st.tuples(st.integers(0, 200), OPERATIONS), max_size=25)


class Model:
    """What the balances should be, with the accounts of one fresh community."""

    def __init__(self, book):
        self.book = book
        self.people = [book.account(i) for i in range(USERS)]
        self.people.append(book.account(1, owner_type="merchant"))
        self.issuance, self.escrow, self.expired = (
            book.system(purpose) for purpose in ("issuance", "escrow", "expired"))
        self.sources = {self.issuance}
        self.balance = dict.fromkeys([*self.people, self.issuance, self.escrow, self.expired],
                                     Decimal(0))
        self.held = dict.fromkeys(self.people, Decimal(0))
        self.holds, self.transfers, self.reversed = [], [], set()

    def can_pay(self, account, amount):
        return account in self.sources or self.balance[account] >= amount

    def moved(self, debit, credit, amount):
        self.balance[debit] -= amount
        self.balance[credit] += amount


def _apply(session, model, operation, now):
    """Perform one operation on the ledger and on the model; refusals must agree."""
    name, *args = operation
    handler = HANDLERS[name]
    handler(session, model, now, *args)


def _fund(session, model, now, user, amount, kind):
    _transfer(session, model, now, model.issuance, model.people[user], amount, kind)


def _move(session, model, now, user, to, amount):
    if to == user:
        to = USERS
    _transfer(session, model, now, model.people[user], model.people[to], amount, "spend")


def _transfer(session, model, now, debit, credit, amount, kind):
    amount = Decimal(amount)
    try:
        posted = model.book.move(debit, credit, amount, kind=kind, now=now)
    except InsufficientPointsError:
        assert not model.can_pay(debit, amount)
        return
    assert model.can_pay(debit, amount)
    model.moved(debit, credit, amount)
    model.transfers.append(posted)


def _hold(session, model, now, user, amount):
    account, amount = model.people[user], Decimal(amount)
    try:
        hold_id = model.book.hold(account, model.people[USERS], amount, now=now)
    except InsufficientPointsError:
        assert not model.can_pay(account, amount)
        return
    assert model.can_pay(account, amount)
    model.moved(account, model.escrow, amount)
    model.held[account] += amount
    model.holds.append([hold_id, account, amount, "pending"])


def _resolve(session, model, now, pick, outcome):
    if not model.holds:
        return
    entry = model.holds[pick % len(model.holds)]
    hold_id, account, amount, status = entry
    resolve = ledger.post_hold if outcome == "posted" else ledger.void_hold
    try:
        with ledger.write_transaction(session):
            resolve(session, hold_id, key=f"{outcome}-{next(_keys)}", now=now)
    except HoldResolvedError:
        assert status != "pending"
        return
    assert status == "pending"
    model.moved(model.escrow, model.people[USERS] if outcome == "posted" else account, amount)
    model.held[account] -= amount
    entry[3] = outcome


def _reverse(session, model, now, pick):
    if not model.transfers:
        return
    original = model.transfers[pick % len(model.transfers)]
    try:
        with ledger.write_transaction(session):
            posted = ledger.reverse(session, original.id, key=f"rev-{next(_keys)}",
                                    reason="性质测试", actor_id=1, now=now)
    except NotReversibleError:
        assert original.key.startswith("rev-")
        return
    except AlreadyReversedError:
        assert original.id in model.reversed
        return
    except InsufficientPointsError:
        assert not model.can_pay(original.credit_account_id, original.amount)
        return
    assert original.id not in model.reversed and not original.key.startswith("rev-")
    model.moved(original.credit_account_id, original.debit_account_id, original.amount)
    model.reversed.add(original.id)
    model.transfers.append(posted)


def _expire(session, model, now):
    as_of = now.astimezone(LOCAL_ZONE).date()
    community_id = model.book.community_id
    for posted in expire_points(session, community_id=community_id, as_of=as_of, now=now):
        assert Decimal(0) < posted.amount <= model.balance[posted.debit_account_id]
        model.moved(posted.debit_account_id, posted.credit_account_id, posted.amount)
    assert expire_points(session, community_id=community_id, as_of=as_of, now=now) == []


HANDLERS = {
    "fund": _fund, "move": _move, "hold": _hold, "reverse": _reverse, "expire": _expire,
    "post": lambda s, m, now, pick: _resolve(s, m, now, pick, "posted"),
    "void": lambda s, m, now, pick: _resolve(s, m, now, pick, "voided"),
}


def _assert_agrees(session, model):
    session.rollback()
    for account, expected in model.balance.items():
        assert ledger.balance_of(session, account).balance == expected, account
    for account, expected in model.held.items():
        assert ledger.balance_of(session, account).held == expected, account
    assert verify(session) == []


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=STEPS)
def test_random_operations_keep_every_invariant(session, steps):
    model = Model(Book(session, community_id=next(_communities)))
    now = START
    for days, operation in steps:
        now += timedelta(days=days)
        _apply(session, model, operation, now)
    _assert_agrees(session, model)
