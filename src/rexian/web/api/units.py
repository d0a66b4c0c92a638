"""Units and categories: the reference data every client needs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from rexian.web.deps import HotlineDep

router = APIRouter(prefix="/api/v1", tags=["reference"])


@router.get("/units")
def list_units(hl: HotlineDep, flat: bool = False) -> list[dict[str, Any]]:
    """The units of the active city: a tree (roots with `children`), or `?flat=true` for a list."""
    with hl.uow.begin() as tx:
        units = tx.units.all(hl.city.key)
    nodes = {u.code: {"code": u.code, "name": u.name, "kind": u.kind.value, "parent_code": u.parent_code,
                      "district": u.district, "street": u.street} for u in units}
    if flat:
        return list(nodes.values())
    roots = []
    for node in nodes.values():
        parent = nodes.get(node["parent_code"] or "")
        if parent is None:
            roots.append(node)
        else:
            parent.setdefault("children", []).append(node)
    return roots


@router.get("/categories")
def list_categories() -> dict[str, dict[str, list[str]]]:
    """The 12345 category taxonomy as {一级: {二级: [三级, ...]}}."""
    from rexian.intelligence.taxonomy import taxonomy_tree

    return taxonomy_tree()
