"""Rewards for public tips (举报奖励): the amount from ``standards/tips/rewards.yaml`` (pure, exact) and the
steps a reward goes through.

A reward is proposed by the tip's handler (the amount computed here, with its basis), approved by a second
person with the reward permission, claimed by whoever holds the tracking code (giving a name and phone to be
paid under), and paid by an officer with the reward permission, who alone sees the claimant — at payout,
audited."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

GRADES = ("general", "larger", "major", "especially_major")
STEPS: dict[str, tuple[str, str]] = {  # action → (from status, to status)
    "approve": ("proposed", "approved"),
    "claim": ("approved", "claimed"),
    "pay": ("claimed", "paid"),
}


class RewardError(ValueError):
    pass


@cache
def rules() -> dict[str, Any]:
    text = files("yingji.standards").joinpath("tips/rewards.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@dataclass(frozen=True)
class Amount:
    yuan: int
    basis: str  # how it was computed, shown to the approver and kept with the reward


def compute(kind: str, *, fine_yuan: int | None = None, deaths: int | None = None, grade: str | None = None) -> Amount:
    """The reward in whole yuan: 15 % of the fine within ¥3,000–300,000 (a violation or major hazard), or
    per concealed death by the accident's grade up to ¥300,000 (a concealed accident)."""
    table = rules()["kinds"].get(kind)
    if table is None:
        raise RewardError(f"unknown reward kind {kind!r}; one of {', '.join(rules()['kinds'])}")
    maximum = int(table["maximum_yuan"])
    if kind == "concealed_accident":
        if grade not in GRADES:
            raise RewardError(f"the accident's grade is one of {', '.join(GRADES)}")
        if deaths is None or deaths < 1:
            raise RewardError("a concealed-accident reward needs the number of concealed deaths found (≥ 1)")
        per = int(table["per_death_yuan"][grade])
        raw = per * deaths
        yuan = min(raw, maximum)
        return Amount(yuan, f"{deaths} × ¥{per:,} ({grade}) = ¥{raw:,}, at most ¥{maximum:,}")
    if fine_yuan is None or fine_yuan < 0:
        raise RewardError("a violation reward needs the fine imposed (whole yuan, ≥ 0)")
    share = Decimal(str(table["fine_share"]))
    minimum = int(table["minimum_yuan"])
    raw_share = (Decimal(fine_yuan) * share).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    yuan = max(minimum, min(int(raw_share), maximum))
    return Amount(yuan, f"{share:%} of the fine ¥{fine_yuan:,} = ¥{int(raw_share):,}, within ¥{minimum:,}–¥{maximum:,}")


def next_status(status: str, action: str) -> str:
    before, after = STEPS.get(action, ("", ""))
    if status != before:
        raise RewardError(f"a reward that is {status} cannot be {action}d" if before else f"unknown step {action}")
    return after
