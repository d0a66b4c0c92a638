"""Handling units (承办单位): the city's hierarchy of governments, departments and enterprises."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class UnitKind(StrEnum):
    """What a unit is; the chain runs city → district → street/town → community."""

    CITY = "city"
    HOTLINE_OFFICE = "hotline_office"  # 热线办: receives, dispatches, supervises
    DISTRICT = "district"  # 区政府
    STREET = "street"  # 街道办事处 / 镇政府
    COMMUNITY = "community"  # 社区居委会 / 村委会
    DEPARTMENT = "department"  # 市直部门
    ENTERPRISE = "enterprise"  # 公共企业: water, power, gas, telecom, transport
    SUBCENTRE = "subcentre"  # 分中心: tax, customs


@dataclass(frozen=True)
class Unit:
    """A handling unit. `district` and `street` name the area a territorial unit governs."""

    code: str
    name: str
    kind: UnitKind
    parent_code: str | None = None
    district: str | None = None
    street: str | None = None
    aliases: tuple[str, ...] = field(default=())

    @property
    def is_territorial(self) -> bool:
        return self.kind in (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY)


@dataclass(frozen=True)
class UnitTree:
    """Which units sit below which: what a unit's staff may see (their unit and every unit below it) and where
    an order may be passed down to."""

    children: dict[str | None, list[str]]

    @classmethod
    def of(cls, parents: Iterable[tuple[str, str | None]]) -> UnitTree:
        """From (unit code, parent code) pairs."""
        children: dict[str | None, list[str]] = {}
        for code, parent in parents:
            children.setdefault(parent, []).append(code)
        return cls(children)

    def subtree(self, code: str) -> list[str]:
        """`code` and every unit below it."""
        found, stack = [], [code]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(self.children.get(current, ()))
        return found
