"""One community's two years of history for ``bench/seed_scale.py``: its places, people,
shops and every ledger row, played in time order through a small ledger kept in memory
(``Community.build``). The time helpers and the county's shape live here too."""
import heapq
import random
from datetime import date, datetime, timedelta, timezone

from bench.gamification import GIVEN, SURNAMES, TYPES, copy_value

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
