"""Differential diagnosis: which diseases fit, which co-exist, and what tells them apart."""

from .differential import DifferentialPanel, DiseaseRow, FeatureHit, build_panel

__all__ = ["DifferentialPanel", "DiseaseRow", "FeatureHit", "build_panel"]
