"""Dispatch commands: preview a decision, import and export the routing rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rexian.cli.core import fail, hotline, operator

if TYPE_CHECKING:
    from rexian.domain.routing import RuleImpact

rules_app = typer.Typer(help="Routing rules: export and import as CSV.", no_args_is_help=True)


def dispatch(text: Annotated[str, typer.Argument(help="the appeal text")],
             address: Annotated[str | None, typer.Option(help="the address field, if any")] = None,
             as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show where an appeal would be dispatched and why, storing nothing."""
    from rexian.services.dispatching import preview

    result = preview(hotline(intelligence=True), text, address)
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
def rules_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
                 dry_run: Annotated[bool, typer.Option(
                     "--dry-run", help="change nothing: show what these rules would do to the recent orders")] = False,
                 orders: Annotated[int, typer.Option(min=1, max=100_000, help="recent orders tried (--dry-run)")] = 1000,
                 as_json: Annotated[bool, typer.Option("--json", help="the --dry-run report as JSON")] = False
                 ) -> None:
    """Replace the active city's routing rules with those of a CSV file (columns as in export); with --dry-run,
    first see where the newest orders would go under them (规则变更影响评估)."""
    from dataclasses import asdict

    from rexian.domain.routing import rules_from_csv
    from rexian.services.routing_rules import replace_rules, rule_impact

    hl = hotline()
    try:
        rules = rules_from_csv(file.read_text(encoding="utf-8-sig"))
        if dry_run:
            impact = rule_impact(hl, rules, operator(), orders)
        else:
            n = replace_rules(hl, rules, operator())
    except (KeyError, ValueError) as e:
        fail(f"规则文件格式有误：{e}", f"bad rules file: {e}")
    if not dry_run:
        typer.echo(f"{n} rules imported")
    elif as_json:
        typer.echo(json.dumps(asdict(impact), ensure_ascii=False))
    else:
        typer.echo(_impact_text(impact, hl.unit_names()))


def _impact_text(impact: RuleImpact, names: dict[str, str]) -> str:
    from rexian.domain.routing import REVIEW

    names = {**names, REVIEW: "待审核 review"}

    def share(part: int, whole: int) -> str:
        return f"{part / whole:.1%}" if whole else "-"

    lines = [
        f"试算（未做任何更改）dry run, nothing changed: {impact.orders} recent orders",
        f"  改派 would go elsewhere: {impact.changed} ({share(impact.changed, impact.orders)})",
        f"  待审核 review queue: {impact.review[0]} → {impact.review[1]};  "
        f"区级兜底 district backstop: {impact.backstop[0]} → {impact.backstop[1]}",
        f"  与实际承办单位一致 agree with the unit that handled them (n {impact.handled}): "
        f"{share(impact.agree[0], impact.handled)} now → {share(impact.agree[1], impact.handled)} with these rules",
    ]
    for before, after, count, codes in impact.moves[:10]:
        lines.append(f"  {count:>5}  {names.get(before, before)} → {names.get(after, after)}  ({', '.join(codes)})")
    return "\n".join(lines)
