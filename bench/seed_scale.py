"""A county's two years of points, bulk-loaded into its own PostgreSQL database.

    .venv/bin/python bench/seed_scale.py                 # 200 communities, 10 M entries
    .venv/bin/python bench/seed_scale.py --scale 0.01    # 2 communities, seconds

``--scale`` shrinks the number of communities (200 at 1.0); each keeps 10 grids, 500
households, 1,500 residents, 10 shops and two years of history, so a community's
figures read as much at any scale. The database (default ``jifen_bench_reports`` on
127.0.0.1; not ``jifen_bench``, which ``bench/ledger.py`` drops) is dropped, created with
the models' schema (``create_all``, as the tests do) and filled by ``COPY``; the plain
indexes of the two ledger tables are built after the load. It is kept for
``bench/reports.py``; drop it by hand when done.

Each community's history is played in time order through a small ledger kept in memory,
so every transfer has its two entries with running balances, cached balances equal the
sums of their entries, ``held`` equals the pending holds, nothing a person owns goes
below zero, and ``flask ledger verify`` passes (``--verify`` runs it here). What happens:

* credits (``earn``) for work of six activity types, 8 % through approved claims, 1 %
  reversed (``reverse``) the next day when the points are still there; claims pending
  and rejected in the last days;
* 清洁户 awards (``earn`` to a household's account, no credit), a few ``grant``s;
* monthly 积分券: ``coupon`` to a resident's coupon account, used at a shop through a
  voucher, or sent back (``coupon_expire``) after 30 days;
* vouchers: a ``hold`` from the wallet into escrow, then ``redeem`` (to a shop, or
  ``retired`` for the community store), ``release`` (cancelled, expired) or still held;
  2 % of shop redemptions ``refund``ed;
* monthly settlement per shop (``settle``; CNY ``settlement`` from the fund and
  ``payout``), monthly donations into the fund (CNY ``donation``);
* in one community in four, points of the year before last expire at the last year end
  (``expire``, the rule of ``ledger.expiry``).

Not part of the pytest suite.
"""
import argparse
import heapq
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402

import points.models  # noqa: E402,F401  (every table on the one metadata)
from bench.gamification import GIVEN, SURNAMES, TYPES, Tables, copy_value  # noqa: E402
from ledger.models import Base  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/jifen_bench_reports"
COMMUNITIES = 200
GRIDS = 10  # per community
HOUSEHOLDS = 500  # per community, 50 a grid
PER_HOUSEHOLD = 3  # residents: 1,500 a community, 300,000 in all
SHOPS = 10  # per community: 2,000 in all
DAYS = 730  # of history
LOCAL = timezone(timedelta(hours=8))
PPY = 5000  # 50 points a yuan, in hundredths
CREDIT_POINTS = (5, 10, 10, 10, 20, 20, 30, 40)
VOUCHER_POINTS = (10, 20, 20, 30, 50)
BIG_TABLES = ("ledger_transfers", "ledger_entries")


class CountyTables(Tables):
    COLUMNS = {
        "communities": "id, name, code, district, points_per_yuan, points_expire, created_at",
        "grids": "id, community_id, name, created_at",
        "households": "id, community_id, grid_id, address, created_at",
        "merchants": "id, community_id, name, address, status, per_bill_cap, created_at",
        "users": "id, community_id, phone, name, role, password_hash, must_change_password, "
                 "household_id, merchant_id, active, elder_mode, leaderboard, created_at",
        "grid_assignments": "user_id, grid_id",
        "activity_types": "id, community_id, name, category, unit, points, photo_required, "
                          "location_required, active, created_at",
        "offers": "id, community_id, merchant_id, kind, title, description, points, active, created_at",
        "coupon_rules": "id, community_id, name, min_points, points, budget, valid_days, active, created_at",
        "ledger_accounts": "id, community_id, ledger, owner_type, owner_id, purpose, "
                           "allow_negative, balance, held, created_at",
        "ledger_transfers": "id, community_id, ledger, key, kind, amount, debit_account_id, "
                            "credit_account_id, reason, actor_id, ref_type, ref_id, reverses_id, "
                            "hold_id, created_at",
        "ledger_entries": "id, transfer_id, account_id, amount, balance_after, created_at",
        "ledger_holds": "id, community_id, ledger, account_id, destination_account_id, "
                        "escrow_account_id, amount, status, expires_at, hold_transfer_id, "
                        "outcome_transfer_id, created_at, resolved_at",
        "credits": "id, community_id, user_id, type_id, source, source_id, work_day, rate, unit, "
                   "points, points_before_cap, transfer_id, approved_by_id, created_at, "
                   "reversal_id, reversed_by_id, reversed_at, reversal_reason",
        "claims": "id, community_id, user_id, household_id, grid_id, filed_by_id, type_id, "
                  "work_day, description, location, points_asked, points, status, "
                  "reject_reason, created_at, decided_at, credit_id",
        "coupons": "id, community_id, rule_id, month, user_id, points, status, valid_until, "
                   "issue_transfer_id, expire_transfer_id, created_at",
        "settlements": "id, community_id, merchant_id, period, voucher_count, points, "
                       "points_per_yuan, amount_cny, status, points_transfer_id, cny_transfer_id, "
                       "settled_by_id, settled_at, paid_at, paid_by_id, payment_reference, "
                       "paid_transfer_id",
        "vouchers": "id, community_id, code, user_id, merchant_id, offer_id, title, points, "
                    "funding, coupon_id, hold_id, status, expires_at, created_at, redeemed_at, "
                    "redeemed_by_id, closed_at, refunded_at, refunded_by_id, refund_reason, "
                    "refund_transfer_id, settlement_id",
        "fund_incomes": "id, community_id, kind, amount_cny, source, received_on, note, "
                        "request_key, transfer_id, recorded_by_id, created_at",
    }


def check_columns():
    """Every NOT NULL column without a server default is loaded (COPY skips Python defaults)."""
    for name, columns in CountyTables.COLUMNS.items():
        given = {column.strip() for column in columns.split(",")}
        needed = {column.name for column in Base.metadata.tables[name].columns
                  if not column.nullable and column.server_default is None}
        if needed - given:
            raise SystemExit(f"{name}: columns {sorted(needed - given)} are not loaded")


def stamp(moment):
    return moment.isoformat()


def local_start(day):
    """The UTC moment local ``day`` begins."""
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL).astimezone(timezone.utc)


def month_firsts(first_moment, now):
    """Local first days of every month from ``first_moment``'s to ``now``'s."""
    day = first_moment.astimezone(LOCAL).date().replace(day=1)
    last = now.astimezone(LOCAL).date().replace(day=1)
    found = []
    while day <= last:
        found.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return found


def period(day):
    return f"{day.year:04d}-{day.month:02d}"


class Community:
    """One community, generated as intents played in time order through an in-memory ledger."""

    def __init__(self, county, c):
        self.county, self.t, self.c = county, county.t, c
        self.rng = random.Random(county.seed * 1000 + c)
        self.now, self.start = county.now, county.start
        self.accounts = {}  # id -> [balance, held, community_id, ledger, owner_type, owner_id, purpose, neg]
        self.by_owner = {}
        self.queue, self.seq = [], 0
        self.holds, self.vouchers, self.coupons = {}, {}, {}
        self.earned_early, self.outflow = {}, {}
        self.redeemed = {}  # (merchant, period) -> [count, points, [voucher ids]]

    # Accounts and postings ------------------------------------------------------------

    def account(self, owner_type, owner_id, purpose="main", ledger="POINTS"):
        key = (owner_type, owner_id, purpose, ledger)
        found = self.by_owner.get(key)
        if found is None:
            found = self.t.next_id("ledger_accounts")
            negative = purpose in ("issuance", "coupons", "income")
            self.accounts[found] = [0, 0, ledger, owner_type, owner_id, purpose, negative]
            self.by_owner[key] = found
        return found

    def system(self, purpose, ledger="POINTS"):
        return self.account("community", self.c, purpose, ledger)

    def available(self, account):
        return self.accounts[account][0]

    def post(self, kind, debit, credit, amount, at, key, *, reason="", actor=None, ref_type=None,
             ref_id=None, reverses=None, hold=None, ledger="POINTS"):
        t = self.t
        transfer = t.next_id("ledger_transfers")
        when = stamp(at)
        t.files["ledger_transfers"].write("\t".join(map(copy_value, (
            transfer, self.c, ledger, key, kind, amount, debit, credit, reason, actor, ref_type,
            ref_id, reverses, hold))) + "\t" + when + "\n")
        t.counts["ledger_transfers"] += 1
        entries = t.files["ledger_entries"]
        for account, signed in ((debit, -amount), (credit, amount)):
            row = self.accounts[account]
            row[0] += signed
            if row[0] < 0 and not row[6]:
                raise AssertionError(f"account {account} overdrawn by {kind} {key}")
            entry = t.next_id("ledger_entries")
            entries.write(f"{entry}\t{transfer}\t{account}\t{signed}\t{row[0]}\t{when}\n")
        t.counts["ledger_entries"] += 2
        self.count_for_expiry(kind, debit, credit, amount, at)
        return transfer

    def count_for_expiry(self, kind, debit, credit, amount, at):
        """What ``ledger.expiry`` reads: earnings of the expiring years and outflow, per account."""
        if not self.county.expiring[self.c]:
            return
        year = self.county.expiring_year
        if kind in ("earn", "grant", "coupon") and at.astimezone(LOCAL).year <= year:
            self.earned_early[credit] = self.earned_early.get(credit, 0) + amount
        elif kind in ("hold", "coupon_expire"):
            self.outflow[debit] = self.outflow.get(debit, 0) + amount
        elif kind in ("release", "refund"):
            self.outflow[credit] = self.outflow.get(credit, 0) - amount
        elif kind == "reverse" and (at - timedelta(days=1)).astimezone(LOCAL).year <= year:
            self.earned_early[debit] = self.earned_early.get(debit, 0) - amount

    # Intents ------------------------------------------------------------------------

    def later(self, at, handler, *args):
        if self.start <= at < self.now:
            self.seq += 1
            heapq.heappush(self.queue, (at, self.seq, handler, args))
            return True
        return False

    def moment(self, day):
        """A UTC moment on local ``day``, 09:00–18:00."""
        return local_start(day) + timedelta(hours=9, minutes=self.rng.randrange(9 * 60))

    def play(self):
        """Run the intents in time order; ``self.at`` is the time of the one running."""
        while self.queue:
            self.at, _seq, handler, args = heapq.heappop(self.queue)
            handler(*args)

    # The community ------------------------------------------------------------------

    def build(self):
        t, c, now = self.t, self.c, self.now
        t.add("communities", c, f"基准社区{c:03d}", f"bench{c:03d}", "基准区", PPY,
              self.county.expiring[c], self.start)
        for purpose in ("issuance", "escrow", "expired", "retired", "coupons"):
            self.system(purpose)
        for purpose in ("income", "fund", "paid_out"):
            self.system(purpose, "CNY")
        self.staff = self.user(c, "staff", "基准干事")
        self.user(c, "admin", "基准主任")
        self.types = []
        for name, category, unit in TYPES:
            self.types.append((t.next_id("activity_types"), unit, name))
            t.add("activity_types", self.types[-1][0], c, name, category, unit, 1000, False, False,
                  True, self.start)
        self.grids = []
        for g in range(GRIDS):
            grid = t.next_id("grids")
            self.grids.append(grid)
            t.add("grids", grid, c, f"第{g + 1}网格", self.start)
            t.add("grid_assignments", self.user(c, "grid_worker", f"网格员{g + 1}"), grid)
        self.shops = []
        for s in range(SHOPS):
            shop = t.next_id("merchants")
            t.add("merchants", shop, c, f"基准商户{c:03d}-{s + 1}", "", "active", 50000, self.start)
            owner = self.user(c, "merchant_owner", "基准老板", merchant=shop)
            offer = t.next_id("offers")
            t.add("offers", offer, c, shop, "item", f"牛肉面{s + 1}", "", 2000, True, self.start)
            self.shops.append((shop, owner, offer))
        self.store_offers = []
        for o in range(3):
            self.store_offers.append(t.next_id("offers"))
            t.add("offers", self.store_offers[-1], c, None, "item", f"洗衣液{o + 1}", "", 3000, True,
                  self.start)
        self.rule = t.next_id("coupon_rules")
        t.add("coupon_rules", self.rule, c, "月度奖励", 3000, 500, 10_000_000, 30, True, self.start)
        self.firsts = month_firsts(self.start, now)
        self.residents = []
        for h in range(HOUSEHOLDS):
            grid = self.grids[h % GRIDS]
            household = t.next_id("households")
            t.add("households", household, c, grid, f"{h // 20 + 1}栋{h % 20 + 1}号", self.start)
            for _ in range(PER_HOUSEHOLD):
                self.resident(household, grid)
            self.inspections(household)
        for first in self.firsts:
            self.later(local_start(first) + timedelta(hours=10), self.donation, first)
            self.later(local_start(first.replace(day=2)) + timedelta(hours=8), self.coupons_for,
                       first)
            self.later(local_start(first.replace(day=3)) + timedelta(hours=10), self.settle, first)
        if self.county.expiring[c]:
            deadline = date(self.county.expiring_year + 2, 1, 1)
            self.later(local_start(deadline) + timedelta(hours=1), self.expire)
        self.claims_waiting()
        self.play()
        self.finish()

    def user(self, c, role, name, household=None, merchant=None, active=True):
        user = self.t.next_id("users")
        self.t.add("users", user, c, f"1{user:010d}", name, role, "x", False, household, merchant,
                   active, False, "masked", self.start)
        return user

    def resident(self, household, grid):
        rng = self.rng
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        person = self.user(self.c, "resident", name, household=household, active=rng.random() > 0.02)
        wallet = self.account("resident", person)
        self.residents.append(person)
        volunteer = rng.random() < 0.7
        for first in self.firsts:
            days = self.days_in(first)
            if not days:
                continue
            if volunteer and rng.random() < 0.28:
                for _ in range(rng.randint(1, 2)):
                    self.later(self.moment(rng.choice(days)), self.credit, person, household, grid, wallet)
            if rng.random() < (0.3 if volunteer else 0.03):
                self.later(self.moment(rng.choice(days)), self.voucher, person, wallet)
            if rng.random() < 0.0015:
                self.later(self.moment(rng.choice(days)), self.grant, wallet)

    def days_in(self, first):
        """The local days of the month ``first`` inside the history."""
        following = (first + timedelta(days=32)).replace(day=1)
        start, today = self.start.astimezone(LOCAL).date(), self.now.astimezone(LOCAL).date()
        return [first + timedelta(days=d) for d in range((following - first).days)
                if start < first + timedelta(days=d) < today]

    def inspections(self, household):
        for first in self.firsts:
            if self.rng.random() < 0.25:
                self.later(local_start(first.replace(day=5)) + timedelta(hours=15), self.award,
                           household, first)

    # Earning --------------------------------------------------------------------------

    def credit(self, person, household, grid, wallet):
        t, rng, at = self.t, self.rng, self.at
        amount = rng.choice(CREDIT_POINTS) * 100
        type_id, unit, name = rng.choice(self.types)
        credit = t.next_id("credits")
        source, source_id = "task", credit
        day = at.astimezone(LOCAL).date()
        if rng.random() < 0.08:
            source, source_id = "claim", t.next_id("claims")
            t.add("claims", source_id, self.c, person, household, grid, person, type_id, day,
                  "打扫楼道", "", amount, amount, "approved", "", at - timedelta(hours=rng.randint(1, 48)),
                  at, credit)
        earn = self.post("earn", self.system("issuance"), wallet, amount, at,
                         f"{source}:{source_id}:{person}", reason=name, actor=self.staff,
                         ref_type=source, ref_id=source_id)
        row = [credit, self.c, person, type_id, source, source_id, day, 1000, unit, amount, amount,
               earn, self.staff, at, None, None, None, None]
        if not (rng.random() < 0.01 and self.later(at + timedelta(days=1), self.reverse, row, wallet, earn)):
            t.add("credits", *row)

    def reverse(self, row, wallet, earn):
        amount, at = row[9], self.at
        if self.available(wallet) >= amount:  # else CreditSpentError: the credit stands
            row[14] = self.post("reverse", wallet, self.system("issuance"), amount, at,
                                f"reverse:credit:{row[0]}", reason="看错了", actor=self.staff,
                                ref_type=row[4], ref_id=row[5], reverses=earn)
            row[15:18] = [self.staff, at, "看错了"]
        self.t.add("credits", *row)

    def award(self, household, first):
        account = self.account("household", household)
        self.post("earn", self.system("issuance"), account, 2000, self.at,
                  f"inspection:{household}:{period(first)}:1", reason="清洁户", actor=self.staff,
                  ref_type="inspection", ref_id=household)

    def grant(self, wallet):
        self.post("grant", self.system("issuance"), wallet, 5000, self.at,
                  f"grant:{wallet}:{self.seq}", reason="敬老慰问", actor=self.staff)

    def claims_waiting(self):
        """Claims still to decide (the last three days) and recently rejected ones."""
        t, rng, now = self.t, self.rng, self.now
        for n in range(20):
            person = rng.choice(self.residents)
            type_id = self.types[n % len(self.types)][0]
            created = now - timedelta(minutes=rng.randrange(1, 3 * 24 * 60))
            rejected = n % 4 == 0
            t.add("claims", t.next_id("claims"), self.c, person, None, None, person, type_id,
                  created.astimezone(LOCAL).date(), "扶老人过马路", "", 1000, None,
                  "rejected" if rejected else "pending", "照片看不清" if rejected else "", created,
                  min(now, created + timedelta(minutes=rng.randrange(10, 600))) if rejected else None,
                  None)

    # Spending -------------------------------------------------------------------------

    def voucher(self, person, wallet, coupon=None):
        """Hold points for a voucher; later redeemed, cancelled, expired (or still held)."""
        t, rng, at = self.t, self.rng, self.at
        if coupon is not None:
            account, amount = coupon[1], coupon[2]
            shop, owner, _offer = rng.choice(self.shops)
            offer, destination, ttl = None, self.account("merchant", shop), timedelta(minutes=30)
        else:
            account = wallet
            store = rng.random() < 0.25
            if store:
                shop, owner, offer = None, self.staff, rng.choice(self.store_offers)
                destination, amount, ttl = self.system("retired"), 3000, timedelta(days=30)
            else:
                shop, owner, offer = rng.choice(self.shops)
                if rng.random() < 0.5:
                    destination, amount, ttl = self.account("merchant", shop), 2000, timedelta(days=30)
                else:
                    offer, ttl = None, timedelta(minutes=30)
                    destination, amount = self.account("merchant", shop), rng.choice(VOUCHER_POINTS) * 100
            if self.available(wallet) < amount:
                return
        voucher, hold = t.next_id("vouchers"), t.next_id("ledger_holds")
        escrow = self.system("escrow")
        moved = self.post("hold", account, escrow, amount, at, f"voucher:B{voucher:010d}",
                          reason="兑换", ref_type="voucher", hold=hold)
        self.accounts[account][1] += amount
        self.holds[hold] = [hold, self.c, "POINTS", account, destination, escrow, amount, "pending",
                            at + ttl, moved, None, at, None]
        self.vouchers[voucher] = [voucher, self.c, f"B{voucher:010d}", person, shop, offer, "兑换",
                                  amount, "coupon" if coupon else "wallet", coupon[0] if coupon else None,
                                  hold, "held", at + ttl, at, None, None, None, None, None, "", None, None]
        roll = rng.random()
        if roll < 0.88:
            wait = timedelta(minutes=rng.randrange(1, 25)) if ttl < timedelta(days=1) else \
                timedelta(minutes=rng.randrange(5, 3 * 24 * 60))
            self.later(at + wait, self.redeem, voucher, owner, coupon)
        elif roll < 0.95 and coupon is None:
            self.later(at + timedelta(hours=1), self.release, voucher, "cancelled", coupon)
        else:
            self.later(at + ttl, self.release, voucher, "expired", coupon)

    def resolve(self, voucher, outcome, kind, key, target, actor):
        row = self.vouchers[voucher]
        hold = self.holds[row[10]]
        at = self.at
        moved = self.post(kind, hold[5], target, hold[6], at, key, reason="兑换", actor=actor,
                          ref_type="voucher", ref_id=voucher, hold=hold[0])
        self.accounts[hold[3]][1] -= hold[6]
        hold[7], hold[10], hold[12] = outcome, moved, at
        return row, hold, at

    def redeem(self, voucher, clerk, coupon):
        row = self.vouchers[voucher]
        destination = self.holds[row[10]][4]
        row, hold, at = self.resolve(voucher, "posted", "redeem", f"voucher-redeem:{voucher}",
                                     destination, clerk)
        row[11], row[14], row[15] = "redeemed", at, clerk
        if coupon is not None:
            coupon[4] = "used"
        if row[4] is not None:
            key = (row[4], period(at.astimezone(LOCAL).date()))
            self.redeemed.setdefault(key, []).append(voucher)
            if self.rng.random() < 0.02:
                self.later(at + timedelta(minutes=30), self.refund, voucher, clerk, coupon)

    def release(self, voucher, status, coupon):
        row, _hold, at = self.resolve(voucher, "voided", "release", f"voucher-{status}:{voucher}",
                                      self.holds[self.vouchers[voucher][10]][3], None)
        row[11], row[16] = status, at
        if coupon is not None and coupon[5] <= at:  # the daily job sends it back tomorrow
            self.later(at + timedelta(days=1), self.coupon_expiry, coupon)

    def refund(self, voucher, clerk, coupon):
        row, at = self.vouchers[voucher], self.at
        source = self.holds[row[10]][3]
        row[20] = self.post("refund", self.account("merchant", row[4]), source, row[7], at,
                            f"voucher-refund:{voucher}", reason="菜没做好", actor=clerk,
                            ref_type="voucher", ref_id=voucher)
        row[11], row[17], row[18], row[19] = "refunded", at, clerk, "菜没做好"
        if coupon is not None:
            coupon[4] = "issued"

    # Coupons --------------------------------------------------------------------------

    def coupons_for(self, first):
        """积分券 of the month before ``first`` for 15 % of the residents who earned in it."""
        t, rng, at = self.t, self.rng, self.at
        month = period((first - timedelta(days=1)).replace(day=1))
        for person in rng.sample(self.residents, len(self.residents) // 30):
            if self.available(self.account("resident", person)) == 0:
                continue
            coupon, account = t.next_id("coupons"), self.account("resident", person, "coupon")
            issued = self.post("coupon", self.system("coupons"), account, 500, at,
                               f"coupon:{self.rule}:{month}:{person}", reason="月度奖励",
                               actor=self.staff, ref_type="coupon_rule", ref_id=self.rule)
            row = [coupon, account, 500, person, "issued", at + timedelta(days=30), issued, None, month]
            self.coupons[coupon] = row
            if rng.random() < 0.6:
                self.later(at + timedelta(days=rng.randrange(1, 25), hours=2), self.use_coupon, row)
            self.later(row[5] + timedelta(hours=1), self.coupon_expiry, row)

    def use_coupon(self, row):
        self.voucher(row[3], None, coupon=row)

    def coupon_expiry(self, row):
        if row[4] != "issued":
            return
        live = [v for v in self.vouchers.values() if v[9] == row[0] and v[11] in ("held", "redeemed")]
        if live:
            return
        row[7] = self.post("coupon_expire", row[1], self.system("coupons"), row[2], self.at,
                           f"coupon-expire:{row[0]}", reason="月度奖励", ref_type="coupon", ref_id=row[0])
        row[4] = "expired"

    # Money ----------------------------------------------------------------------------

    def donation(self, first):
        t, at = self.t, self.at
        amount = self.rng.randrange(300, 900) * 100  # yuan, in hundredths
        income = t.next_id("fund_incomes")
        moved = self.post("donation", self.system("income", "CNY"), self.system("fund", "CNY"), amount,
                          at, f"fund-income:{self.c}:bench{income}", reason="爱心企业", actor=self.staff,
                          ref_type="fund_income", ledger="CNY")
        t.add("fund_incomes", income, self.c, "donation", amount, "爱心企业", first, "", f"bench{income}",
              moved, self.staff, at)

    def settle(self, first):
        """Each shop's month before ``first``: points to retired, yuan from the fund, paid later."""
        t, at = self.t, self.at
        month = period((first - timedelta(days=1)).replace(day=1))
        for shop, owner, _offer in self.shops:
            ids = [v for v in self.redeemed.pop((shop, month), []) if self.vouchers[v][11] == "redeemed"]
            points = sum(self.vouchers[v][7] for v in ids)
            cny = (points * 200 // PPY + 1) // 2  # yuan in fen, half up
            if not points or self.available(self.system("fund", "CNY")) < cny:
                continue
            settlement = t.next_id("settlements")
            moved = self.post("settle", self.account("merchant", shop), self.system("retired"), points, at,
                              f"settlement-points:{shop}:{month}", reason=month, actor=self.staff,
                              ref_type="settlement", ref_id=settlement)
            payable = self.account("merchant", shop, "payable", "CNY")
            paid = None
            if cny:
                money = self.post("settlement", self.system("fund", "CNY"), payable, cny, at,
                                  f"settlement-cny:{shop}:{month}", reason=month, actor=self.staff,
                                  ref_type="settlement", ref_id=settlement, ledger="CNY")
                if at + timedelta(days=7) < self.now:
                    paid = self.post("payout", payable, self.system("paid_out", "CNY"), cny,
                                     at + timedelta(days=7), f"settlement-paid:{settlement}",
                                     reason=month, actor=self.staff, ref_type="settlement",
                                     ref_id=settlement, ledger="CNY")
            else:
                money = None
            for v in ids:
                self.vouchers[v][21] = settlement
            t.add("settlements", settlement, self.c, shop, month, len(ids), points, PPY, cny,
                  "paid" if paid else "settled", moved, money, self.staff, at,
                  at + timedelta(days=7) if paid else None, self.staff if paid else None,
                  "银行转账" if paid else "", paid)

    def expire(self):
        """The last year end: points of the year before not spent by then (``ledger.expiry``'s rule)."""
        at, year = self.at, self.county.expiring_year
        sink = self.system("expired")
        for account, earned in sorted(self.earned_early.items()):
            balance = self.accounts[account][0]
            amount = min(balance, earned - self.outflow.get(account, 0))
            if amount > 0:
                self.post("expire", account, sink, amount, at, f"expire:{account}:{year}",
                          reason=f"{year} 年获得的积分已于 {year + 1}-12-31 到期")

    # Writing what the play decided -----------------------------------------------------

    def finish(self):
        t = self.t
        for account, (balance, held, ledger, kind, owner, purpose, negative) in self.accounts.items():
            t.add("ledger_accounts", account, self.c, ledger, kind, owner, purpose, negative, balance, held,
                  self.start)
        for row in self.holds.values():
            t.add("ledger_holds", *row)
        for coupon, _account, amount, person, status, until, issued, expired, month in self.coupons.values():
            t.add("coupons", coupon, self.c, self.rule, month, person, amount, status, until, issued, expired,
                  until - timedelta(days=30))
        for row in self.vouchers.values():
            t.add("vouchers", *row)


class County:
    def __init__(self, tables, communities, now, seed=20261124):
        self.t, self.now, self.seed = tables, now, seed
        self.start = now - timedelta(days=DAYS)
        self.communities = communities
        self.expiring = {c: c % 4 == 1 for c in range(1, communities + 1)}
        self.expiring_year = now.astimezone(LOCAL).year - 2  # expired at the last year end

    def build(self, log):
        started = time.perf_counter()
        t = self.t
        district = t.next_id("users")
        t.add("users", district, None, f"1{district:010d}", "区管理员", "district_admin", "x", False,
              None, None, True, False, "masked", self.start)
        for c in range(1, self.communities + 1):
            Community(self, c).build()
            if c % 10 == 0 or c == self.communities:
                log(f"  community {c}/{self.communities}: {t.counts['ledger_transfers']:,} transfers, "
                    f"{time.perf_counter() - started:.0f} s")


# Database -------------------------------------------------------------------------------

def raw(url):
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def recreate(url):
    url = make_url(url)
    if url.get_backend_name() != "postgresql":
        raise SystemExit("this bench needs PostgreSQL")
    if url.database in ("test", "postgres", "jifen_bench", None) or url.database.startswith("jifen_test"):
        raise SystemExit(f"refusing to drop the database {url.database!r}; name a bench database")
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    server.dispose()
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()


def drop_plain_indexes(cursor):
    """Drop the big tables' indexes that back no constraint; return their definitions."""
    rows = cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint)", (list(BIG_TABLES),)).fetchall()
    for name, _definition in rows:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in rows]


def load(tables, url, log):
    with psycopg.connect(raw(url)) as connection, connection.cursor() as cursor:
        definitions = drop_plain_indexes(cursor)
        connection.commit()
    tables.load(raw(url), log)
    with psycopg.connect(raw(url), autocommit=True) as connection:
        connection.execute("SET maintenance_work_mem = '1GB'")
        for definition in definitions:
            started = time.perf_counter()
            connection.execute(definition)
            log(f"  {definition.split(' ON ')[0]:60} {time.perf_counter() - started:5.1f} s")
        started = time.perf_counter()
        connection.execute("VACUUM ANALYZE")
        log(f"  VACUUM ANALYZE {time.perf_counter() - started:.1f} s")
        connection.execute("CREATE TABLE bench_info (name text PRIMARY KEY, value text)")
        for name, value in tables.info.items():
            connection.execute("INSERT INTO bench_info VALUES (%s, %s)", (name, json.dumps(value)))


def verify(url, log):
    from sqlalchemy.orm import Session

    from ledger.verify import CHECKS

    engine = create_engine(url)
    with Session(engine) as session:
        for check in CHECKS:
            started = time.perf_counter()
            found = check(session)
            log(f"  {check.__name__:36} {len(found)} violations  {time.perf_counter() - started:5.1f} s")
            for line in found[:5]:
                log(f"    {line}")
            if found:
                raise SystemExit("the generated ledger does not verify")
    engine.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of the 200 communities to load")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_REPORTS_URL", DEFAULT_URL))
    parser.add_argument("--verify", action="store_true", help="run the ledger's checks after loading")
    args = parser.parse_args()
    check_columns()
    log = lambda line: print(line, flush=True)  # noqa: E731
    communities = max(2, round(COMMUNITIES * args.scale))
    now = datetime.now(timezone.utc).replace(microsecond=0)
    started = time.perf_counter()
    recreate(args.database_url)
    log(f"{make_url(args.database_url).database}: {communities} communities, "
        f"{communities * HOUSEHOLDS * PER_HOUSEHOLD:,} residents, {DAYS} days to {now:%Y-%m-%d %H:%M} UTC")
    directory = tempfile.mkdtemp(prefix="jifen_bench_reports_")
    try:
        tables = CountyTables(directory)
        County(tables, communities, now).build(log)
        tables.info = {"scale": args.scale, "communities": communities, "now": now.isoformat(),
                       "rows": tables.counts}
        generated = time.perf_counter() - started
        log(f"generated in {generated:.0f} s; loading with COPY:")
        load(tables, args.database_url, log)
        log(f"loaded in {time.perf_counter() - started - generated:.0f} s")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if args.verify:
        log("ledger verify:")
        verify(args.database_url, log)
    log("rows: " + ", ".join(f"{name} {count:,}" for name, count in tables.counts.items()))
    log(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
