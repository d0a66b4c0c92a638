"""Dispatch commands: preview a decision, import and export the routing rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from rexian.cli.core import fail, hotline, operator
from rexian.domain.errors import DomainError

rules_app = typer.Typer(help="Routing rules: export and import as CSV.", no_args_is_help=True)


def dispatch(text: Annotated[str, typer.Argument(help="the appeal text")],
             address: Annotated[str | None, typer.Option(help="the address field, if any")] = None,
             as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show where an appeal would be dispatched and why, storing nothing."""
    from rexian.services.dispatching import preview

    try:
        result = preview(hotline(intelligence=True), text, address)
    except DomainError as e:
        fail(e.message_zh, e.message_en)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    place = "".join(p for p in (result["district"], result["street"]) if p) or "地点不明"
    typer.echo(f"类别 category: {result['category']} ({result['category_confidence'] or 0:.2f})\n"
               f"地点 place: {place}\n"
               f"派往 unit: {result['unit_name'] or '人工审核 review queue'} ({result['confidence']:.2f})\n"
               f"理由 why: {result['explanation']}")


@rules_app.command("export")
def rules_export(file: Annotated[Path | None, typer.Argument(help="CSV file (default: standard output)")] = None
                 ) -> None:
    """Write the active city's routing rules as CSV."""
    from rexian.domain.routing import rules_to_csv
    from rexian.services.routing_rules import list_rules

    text = rules_to_csv(list_rules(hotline()))
    if file:
        file.write_text(text, encoding="utf-8")
        typer.echo(f"rules written to {file}")
    else:
        typer.echo(text, nl=False)


@rules_app.command("import")
def rules_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Replace the active city's routing rules with those of a CSV file (columns as in export)."""
    from rexian.domain.routing import rules_from_csv
    from rexian.services.routing_rules import replace_rules

    try:
        n = replace_rules(hotline(), rules_from_csv(file.read_text(encoding="utf-8-sig")), operator())
    except (KeyError, ValueError) as e:
        fail(f"规则文件格式有误：{e}", f"bad rules file: {e}")
    except DomainError as e:
        fail(e.message_zh, e.message_en)
    typer.echo(f"{n} rules imported")
