"""The `rexian` command: one entry point, a sub-command per area."""

from __future__ import annotations

import typer

from rexian.cli import analytics as analytics_cli
from rexian.cli import callcentre as callcentre_cli
from rexian.cli import core
from rexian.cli import desk as desk_cli
from rexian.cli import dispatch as dispatch_cli
from rexian.cli import extract as extract_cli
from rexian.cli import kb as kb_cli
from rexian.cli import model as model_cli
from rexian.cli import office as office_cli
from rexian.cli import open311 as open311_cli
from rexian.cli import ops as ops_cli
from rexian.cli import report as report_cli

app = typer.Typer(help="Rexian (热线): the 12345 hotline platform.", no_args_is_help=True)

# Sub-commands are registered below, one line per area.
app.add_typer(core.db_app, name="db")
app.add_typer(core.city_app, name="city")
app.add_typer(core.user_app, name="user")
app.add_typer(core.sla_app, name="sla")
app.add_typer(core.calendar_app, name="calendar")
app.command("import")(core.import_command)
app.command("serve")(core.serve)
app.command("seed-demo")(core.seed_demo)
app.command("dispatch")(dispatch_cli.dispatch)
app.add_typer(dispatch_cli.rules_app, name="rules")
# --- register sub-commands here ---
app.command("backup")(ops_cli.backup), app.command("restore")(ops_cli.restore)
core.db_app.command("copy")(ops_cli.copy)
core.db_app.command("recount")(analytics_cli.recount)
app.add_typer(kb_cli.app, name="kb")
app.add_typer(desk_cli.app, name="desk")
app.command("hotspots")(analytics_cli.hotspots)
app.command("surges")(analytics_cli.surges)
app.add_typer(report_cli.app, name="report")
report_cli.app.command("performance")(office_cli.performance)
app.add_typer(office_cli.notify_app, name="notify")
app.add_typer(office_cli.orders_app, name="orders")
app.add_typer(open311_cli.app, name="open311")
app.add_typer(model_cli.app, name="model")
app.command("classify")(model_cli.classify)
app.add_typer(callcentre_cli.app, name="callcentre")
app.command("extract")(extract_cli.extract)


def _failing_clearly(group: typer.Typer) -> None:
    for command in group.registered_commands:
        command.callback = core.failing_clearly(command.callback)  # type: ignore[arg-type]
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _failing_clearly(sub.typer_instance)


_failing_clearly(app)

if __name__ == "__main__":
    app()
