"""The agent desk's reading of a call: elderly cues and the work-order fields a transcript fills.

Pure functions over an `Extraction`; the desk service (rexian.services.calls) adds the router's
decision, knowledge suggestions and the agent's own edits.
"""

from __future__ import annotations

import re
from typing import Any

from rexian.intelligence.extraction import Extraction, cn_number

# fields of the draft the agent may edit; the first group is filled from the transcript
DRAFT_FIELDS = ("name", "phone", "address", "district", "street", "community", "merchant", "appeal_type",
                "urgency", "category", "content", "title")
ELDERLY_AGE = 60
_AGE = re.compile(r"(?:我|本人|我今年|今年)[^，。！？]{0,3}?([0-9]{2,3}|[一二三四五六七八九十百]{2,4})(?:多)?(?:岁|了)")
_ELDERLY_WORDS = re.compile(r"老人家|老年人|我是老人|独居老人|孤寡老人|空巢老人|年纪大了?|岁数大了?|退休老|老伯|阿婆|阿伯")


def elderly_cue(caller_text: str) -> str | None:
    """The phrase that marks an older caller ("我今年七十多了", "老人家"), or None."""
    for m in _AGE.finditer(caller_text):
        number = m.group(1)
        try:
            age = int(number) if number.isdigit() else cn_number(number)
        except (KeyError, ValueError):
            continue
        if ELDERLY_AGE <= age < 130:
            return m.group(0)
    words = _ELDERLY_WORDS.search(caller_text)
    return words.group(0) if words else None


def fields_from(extraction: Extraction, caller_number: str | None) -> dict[str, Any]:
    """The draft fields the transcript fills (None where it does not say); the phone defaults to
    the number the switch reports."""
    e = extraction
    return {
        "name": e.name, "phone": e.phones[0] if e.phones else caller_number, "address": e.address_text,
        "district": e.district, "street": e.street, "community": e.community, "merchant": e.merchant,
        "appeal_type": e.appeal_type, "urgency": e.urgency if e.urgency != "normal" else None,
        "category": e.category, "content": e.summary or None, "title": None,
    }
