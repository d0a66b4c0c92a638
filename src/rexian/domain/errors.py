"""Domain errors. Each carries a stable code and a message in Chinese and in English.

The web layer maps each class to one HTTP status in one place (rexian.web.errors).
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every business-rule violation."""

    code = "domain_error"

    def __init__(self, message_zh: str, message_en: str, **details: object) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en
        self.details = details


class IllegalTransition(DomainError):
    """The action is not allowed from the order's current status (e.g. sign a closed order)."""

    code = "illegal_transition"


class RuleViolation(DomainError):
    """The action is allowed in this status but a rule forbids it now (e.g. the return window closed)."""

    code = "rule_violation"


class ConcurrencyConflict(DomainError):
    """Someone else changed the order first (stale version)."""

    code = "version_conflict"


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class InvalidInput(DomainError):
    code = "invalid_input"
