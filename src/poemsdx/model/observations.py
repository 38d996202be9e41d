"""What is known about a patient: findings, measurements and nerve-conduction rows.

Every observation names a concept from the knowledge catalogue (``data/concepts.yaml``);
the model itself does not know the catalogue — the case loader checks concept ids and
units against it.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ._base import Frozen
from .evidence import Evidence
from .time import When

FindingStatus = Literal["present", "absent", "uncertain"]
QualitativeResult = Literal[
    "positive", "negative", "equivocal", "normal", "abnormal", "high", "low"
]
Specimen = Literal[
    "serum", "plasma", "blood", "urine", "csf", "bone_marrow", "tissue", "lymph_node"
]
Nerve = Literal[
    "median",
    "ulnar",
    "radial",
    "tibial",
    "peroneal",
    "sural",
    "superficial_peroneal",
    "musculocutaneous",
    "axillary",
    "femoral",
]
HeavyChain = Literal["IgG", "IgA", "IgM", "IgD", "IgE"]
LightChain = Literal["kappa", "lambda"]


class _Observation(Frozen):
    id: str | None = None
    concept: str = Field(min_length=1)
    time: When | None = None
    evidence: tuple[Evidence, ...] = ()
    note: str | None = None


class Finding(_Observation):
    """A sign, symptom, imaging or pathology finding stated present, absent or uncertain."""

    kind: Literal["finding"] = "finding"
    status: FindingStatus
    site: str | None = None


class ReferenceRange(Frozen):
    """The reporting lab's range; either limit may be missing ("< 220" has only ``high``)."""

    low: float | None = None
    high: float | None = None
    unit: str | None = None
    text: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ReferenceRange:
        for name in ("low", "high"):
            v = getattr(self, name)
            if v is not None and (not math.isfinite(v) or v < 0):
                raise ValueError(f"reference range {name} must be a finite number >= 0, got {v}")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"reference range low ({self.low}) is above high ({self.high})")
        return self


class Measurement(_Observation):
    """A lab or quantitative result: a number with a unit, or a qualitative result, or both.

    ``specimen`` matters: serum and plasma VEGF differ by about an order of magnitude.
    ``method`` records how it was measured (``immunofixation``, ``ELISA``); for a
    monoclonal protein, ``heavy_chain`` and ``light_chain`` record its type.
    """

    kind: Literal["measurement"] = "measurement"
    value: float | None = None
    result: QualitativeResult | None = None
    unit: str | None = None
    specimen: Specimen | None = None
    reference_range: ReferenceRange | None = None
    method: str | None = None
    heavy_chain: HeavyChain | None = None
    light_chain: LightChain | None = None

    @model_validator(mode="after")
    def _has_a_result(self) -> Measurement:
        if self.value is None and self.result is None:
            raise ValueError("a measurement needs a value or a qualitative result")
        if self.value is not None:
            if not math.isfinite(self.value):
                raise ValueError(f"value must be a finite number, got {self.value}")
            if self.value < 0:
                raise ValueError(f"value cannot be negative, got {self.value}")
            if self.unit is None:
                raise ValueError("a numeric value needs a unit (use '1' for a unitless ratio)")
            if self.unit.strip() == "%" and self.value > 100:
                raise ValueError(f"a percentage cannot exceed 100, got {self.value}")
        return self


class NcsLimits(Frozen):
    """The lab's normal limits for one nerve-conduction row, where the report gives them."""

    distal_latency_uln_ms: float | None = Field(default=None, gt=0)
    amplitude_lln: float | None = Field(default=None, gt=0)
    conduction_velocity_lln_m_s: float | None = Field(default=None, gt=0)
    f_wave_latency_uln_ms: float | None = Field(default=None, gt=0)


_PositiveMs = Annotated[float, Field(gt=0, lt=1000)]


class NerveConduction(_Observation):
    """One row of a nerve-conduction table.

    Motor amplitudes are CMAP in mV; sensory amplitudes are SNAP in µV. Proximal values
    (amplitude, duration) allow conduction block and temporal dispersion to be judged;
    ``distal_distance_mm`` allows the terminal latency index.
    """

    kind: Literal["nerve_conduction"] = "nerve_conduction"
    concept: str = "nerve_conduction"
    nerve: Nerve
    side: Literal["left", "right"] | None = None
    modality: Literal["motor", "sensory"]
    distal_latency_ms: _PositiveMs | None = None
    amplitude: float | None = Field(default=None, ge=0, lt=10000)
    conduction_velocity_m_s: float | None = Field(default=None, ge=0, lt=150)
    f_wave_latency_ms: _PositiveMs | None = None
    f_wave_absent: bool | None = None
    proximal_amplitude: float | None = Field(default=None, ge=0, lt=10000)
    distal_duration_ms: _PositiveMs | None = None
    proximal_duration_ms: _PositiveMs | None = None
    distal_distance_mm: float | None = Field(default=None, gt=0, lt=1000)
    not_recordable: bool = False
    limits: NcsLimits | None = None

    @field_validator("nerve", mode="before")
    @classmethod
    def _lower_nerve(cls, v: object) -> object:
        return v.strip().lower().replace(" ", "_") if isinstance(v, str) else v


Observation = Annotated[Finding | Measurement | NerveConduction, Field(discriminator="kind")]
