"""One measured value of a nerve-conduction row beside its normal limit, and the small
number helpers every nerve-conduction module shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..engine.logic import F, T, Truth, U
from .limits import Limit

EPS = 1e-9


def pct(value: float, limit: float) -> float:
    return value / limit * 100.0


def fmt_pct(p: float) -> str:
    return f"{p:.0f}%"


def fmt_num(v: float) -> str:
    return f"{v:g}"


def ge(a: float, b: float) -> bool:
    return a >= b - EPS


def le(a: float, b: float) -> bool:
    return a <= b + EPS


@dataclass(frozen=True, slots=True)
class Measure:
    """One measured value of a row beside its normal limit."""

    name: Literal["distal_latency", "amplitude", "conduction_velocity", "f_wave_latency"]
    value: float | None
    unit: str
    limit: Limit | None
    kind: Literal["ULN", "LLN"]

    @property
    def percent(self) -> float | None:
        if self.value is None or self.limit is None:
            return None
        return pct(self.value, self.limit.value)

    @property
    def abnormal(self) -> Truth:
        """Beyond the normal limit (above the ULN, below the LLN); unknown without data."""
        if self.value is None or self.limit is None:
            return U
        if self.kind == "ULN":
            return T if self.value > self.limit.value + EPS else F
        return T if self.value < self.limit.value - EPS else F

    def describe(self) -> str:
        if self.value is None:
            return "—"
        text = f"{fmt_num(self.value)} {self.unit}"
        if self.percent is not None and self.limit is not None:
            text += f" ({fmt_pct(self.percent)} of {self.kind} {fmt_num(self.limit.value)})"
        return text

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"value": self.value, "unit": self.unit, "limit_kind": self.kind}
        if self.limit is not None:
            d["limit"] = self.limit.value
            d["limit_origin"] = self.limit.origin
            d["limit_source"] = self.limit.source
            if self.limit.verification:
                d["limit_verification"] = self.limit.verification
        if self.percent is not None:
            d["percent_of_limit"] = round(self.percent, 1)
        d["abnormal"] = self.abnormal.value
        return d


__all__ = ["EPS", "Measure", "fmt_num", "fmt_pct", "ge", "le", "pct"]
