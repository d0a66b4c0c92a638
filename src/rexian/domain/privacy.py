"""Masking of personal data (phone numbers, ID numbers) wherever the full value is not needed."""

from __future__ import annotations

import re

_ID = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
# a mainland mobile, also with the +86 prefix or written in groups (139 2000 1234, 139-2000-1234)
_MOBILE = re.compile(r"(?<!\d)((?:\+?86)?1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")


def mobile_number(phone: str | None) -> str | None:
    """The 11 digits of a mainland mobile (a text message can reach it), or None for any other number."""
    digits = re.sub(r"[\s()+-]", "", phone or "")
    found = re.fullmatch(r"(?:86)?(1[3-9]\d{9})", digits)
    return found.group(1) if found else None


def mask_phone(phone: str | None) -> str | None:
    """138****8000; short numbers keep only their last two digits."""
    if not phone:
        return phone
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 2, 0) + digits[-2:]


def mask_id_number(number: str | None) -> str | None:
    """110101********123X: region kept, birth date and sequence hidden."""
    if not number:
        return number
    return number[:6] + "*" * (len(number) - 10) + number[-4:] if len(number) > 10 else "*" * len(number)


def mask_text(text: str) -> str:
    """Mask ID-card and mobile numbers inside free text."""
    text = _ID.sub(lambda m: m.group(1) + "********" + m.group(3), text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
