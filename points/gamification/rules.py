"""Pure rules of the game: levels, streaks and badges, computed from a person's facts.

Names and descriptions are Chinese msgids (marked ``N_``): stored and sent as they are,
translated where they are shown (``_(badge.name)``), so services run outside a request.

Nothing here reads the database or moves points. ``Facts`` are the person's credits that
stand (reversed ones are left out by the caller) and their household's clean months.
"""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ledger.errors import N_
from points import months

# The programmes' ladder; a community may set its own names and thresholds.
DEFAULT_LEVELS = (
    (Decimal(0), N_("志愿新星")),
    (Decimal(100), N_("志愿能手")),
    (Decimal(500), N_("志愿达人")),
    (Decimal(1500), N_("志愿之星")),
    (Decimal(5000), N_("社区楷模")),
)


@dataclass(frozen=True)
class CreditFact:
    id: int
    work_day: date
    points: Decimal
    hours: Decimal | None
    category: str


@dataclass(frozen=True)
class Facts:
    credits: tuple[CreditFact, ...]  # standing credits, oldest work first
    clean_months: tuple[str, ...] = ()  # the household's 清洁户 months, ``YYYY-MM``
    this_month: str = ""  # ``YYYY-MM`` of today, for the current streak


# --- levels -----------------------------------------------------------------------------

@dataclass(frozen=True)
class LevelView:
    number: int  # 1 for the first step
    name: str
    threshold: Decimal
    next_name: str | None
    next_threshold: Decimal | None
    points: Decimal

    @property
    def to_next(self):
        return None if self.next_threshold is None else self.next_threshold - self.points

    @property
    def percent(self):
        """Progress from this level to the next, 0–100 (100 at the top level)."""
        if self.next_threshold is None:
            return 100
        span = self.next_threshold - self.threshold
        return int((self.points - self.threshold) * 100 / span) if span > 0 else 100


def level_for(points, ladder):
    """The level ``points`` lifetime earned reach on ``ladder`` (``(threshold, name)``
    pairs, any order; the lowest step is reached by anyone)."""
    steps = sorted(ladder, key=lambda step: step[0])
    reached = 0
    for index, (threshold, _name) in enumerate(steps):
        if points >= threshold:
            reached = index
    threshold, name = steps[reached]
    following = steps[reached + 1] if reached + 1 < len(steps) else (None, None)
    return LevelView(reached + 1, name, threshold, following[1], following[0], points)


def ensure_valid_ladder(ladder):
    """A ladder starts at 0, has 2–10 steps with distinct non-negative thresholds and
    names of 1–20 characters; returns whether it does (callers refuse in their words)."""
    thresholds = [threshold for threshold, _ in ladder]
    return (2 <= len(ladder) <= 10 and min(thresholds) == 0 and len(set(thresholds)) == len(thresholds)
            and all(threshold >= 0 for threshold in thresholds)
            and all(name and len(name) <= 20 for _, name in ladder))


# --- streaks ----------------------------------------------------------------------------

def _follows(previous, month):
    """Whether ``month`` is the month right after ``previous`` (both ``YYYY-MM``)."""
    return previous is not None and months.following(months.first_day(previous)) == months.first_day(month)


def _runs(month_list):
    """Runs of consecutive months in ``month_list`` (sorted ``YYYY-MM``): [(last, length)]."""
    runs = []
    previous = None
    for month in month_list:
        if _follows(previous, month):
            runs[-1] = (month, runs[-1][1] + 1)
        else:
            runs.append((month, 1))
        previous = month
    return runs


def streaks(active_months, this_month):
    """``(current, best)`` consecutive months with approved work. The current streak ends
    this month or last month: a month without work yet does not break it until it ends."""
    runs = _runs(sorted(set(active_months)))
    if not runs:
        return 0, 0
    best = max(length for _, length in runs)
    last, length = runs[-1]
    last_month = months.preceding(months.first_day(this_month)) if this_month else None
    alive = not this_month or last == this_month or months.first_day(last) == last_month
    return (length if alive else 0), best


def run_reaching(month_list, target):
    """The month in which ``month_list`` first held ``target`` consecutive months, or None."""
    run, previous = 0, None
    for month in sorted(set(month_list)):
        run = run + 1 if _follows(previous, month) else 1
        if run >= target:
            return month
        previous = month
    return None


# --- badges -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Badge:
    code: str
    name: str
    description: str
    icon: str  # one character, shown large in a coloured disc (no emoji font needed)
    target: int
    measure: str  # credits | hours | streak | clean | category


SPECIALISTS = {
    "environment": (N_("环保能手"), "环", N_("环境卫生类服务累计 10 次")),
    "greening": (N_("绿化能手"), "绿", N_("绿化美化类服务累计 10 次")),
    "mediation": (N_("调解能手"), "调", N_("矛盾调解类服务累计 10 次")),
    "elderly": (N_("助老能手"), "老", N_("敬老助老类服务累计 10 次")),
    "civility": (N_("文明劝导员"), "劝", N_("文明劝导类服务累计 10 次")),
    "hazard": (N_("隐患侦察兵"), "查", N_("上报安全隐患累计 10 次")),
}
SPECIALIST_TARGET = 10


def _catalogue():
    badges = [
        Badge("first_activity", N_("初次参与"), N_("第一次志愿服务被记入积分"), "初", 1, "credits"),
        Badge("activities_10", N_("热心参与"), N_("累计参加 10 次志愿服务"), "十", 10, "credits"),
        Badge("activities_50", N_("志愿骨干"), N_("累计参加 50 次志愿服务"), "骨", 50, "credits"),
        Badge("activities_100", N_("百次志愿"), N_("累计参加 100 次志愿服务"), "百", 100, "credits"),
        Badge("hours_100", N_("百小时志愿"), N_("累计志愿服务 100 小时"), "时", 100, "hours"),
        Badge("clean_3", N_("清洁之家"), N_("家庭连续 3 个月评为清洁户"), "洁", 3, "clean"),
        Badge("streak_3", N_("持之以恒"), N_("连续 3 个月都参加志愿服务"), "恒", 3, "streak"),
    ]
    for category, (name, icon, description) in SPECIALISTS.items():
        badges.append(Badge(f"specialist_{category}", name, description, icon,
                            SPECIALIST_TARGET, "category"))
    return tuple(badges)


BADGES = _catalogue()
BADGES_BY_CODE = {badge.code: badge for badge in BADGES}


@dataclass(frozen=True)
class Outcome:
    """How far a person is towards a badge, and what crossed the line when they are there."""

    badge: Badge
    value: Decimal
    credit_id: int | None = None
    month: str | None = None

    @property
    def achieved(self):
        return self.value >= self.badge.target

    @property
    def shown_value(self):
        return min(self.value, Decimal(self.badge.target))

    @property
    def percent(self):
        return int(self.shown_value * 100 / self.badge.target)


def _nth_credit(credits, target):
    return credits[target - 1].id if len(credits) >= target else None


def _credit_reaching_hours(credits, target):
    total = Decimal(0)
    for credit in credits:
        total += credit.hours or 0
        if total >= target:
            return credit.id
    return None


@dataclass
class _Measures:
    facts: Facts
    hours: Decimal = field(init=False)
    active_months: list = field(init=False)

    def __post_init__(self):
        self.hours = sum((credit.hours or Decimal(0) for credit in self.facts.credits), Decimal(0))
        self.active_months = sorted({months.month_of(credit.work_day) for credit in self.facts.credits})


def evaluate(facts):
    """An ``Outcome`` for every badge of the catalogue, in catalogue order."""
    measures = _Measures(facts)
    credits = facts.credits
    _current, best = streaks(measures.active_months, facts.this_month)
    clean_best = max((length for _, length in _runs(sorted(set(facts.clean_months)))), default=0)
    outcomes = []
    for badge in BADGES:
        if badge.measure == "credits":
            outcome = Outcome(badge, Decimal(len(credits)), _nth_credit(credits, badge.target))
        elif badge.measure == "hours":
            outcome = Outcome(badge, measures.hours, _credit_reaching_hours(credits, badge.target))
        elif badge.measure == "streak":
            outcome = Outcome(badge, Decimal(best), month=run_reaching(measures.active_months, badge.target))
        elif badge.measure == "clean":
            outcome = Outcome(badge, Decimal(clean_best),
                              month=run_reaching(facts.clean_months, badge.target))
        else:
            category = badge.code.removeprefix("specialist_")
            own = [credit for credit in credits if credit.category == category]
            outcome = Outcome(badge, Decimal(len(own)), _nth_credit(own, badge.target))
        outcomes.append(outcome)
    return outcomes
