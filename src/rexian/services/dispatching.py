"""Intake intelligence wiring: classify, locate and route each new order (filled in below)."""

from __future__ import annotations

from rexian.services.context import Hotline


def attach_intelligence(hl: Hotline) -> None:
    """Attach the classifier, the location resolver and the router when they are available."""
    return None
