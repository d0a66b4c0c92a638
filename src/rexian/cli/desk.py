"""Agent desk commands: replay a recorded call transcript as if it were live."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from rexian.cli.core import fail, hotline, operator

app = typer.Typer(help="The agent desk: replay recorded calls (demo mode).", no_args_is_help=True)
SHOWN = ("name", "phone", "district", "street", "merchant", "appeal_type", "urgency", "category")


@app.command("replay")
def replay(file: Annotated[Path, typer.Argument(help="a transcripts JSON file (e.g. data/desk/demo_calls.json)")],
           call: Annotated[str | None, typer.Option(help="the id of one call in the file (default: all)")] = None,
           speed: Annotated[float, typer.Option(help="replay speed: 1 is real time, 0 no waiting")] = 1.0,
           submit: Annotated[bool, typer.Option(help="file each call as a work order at the end")] = False,
           as_json: Annotated[bool, typer.Option("--json", help="one final draft per call as JSON")] = False) -> None:
    """Feed each utterance to a new call on this hotline, showing the draft fill as it goes."""
    from rexian.services import calls as desk

    recorded = [c for c in desk.demo_calls(file) if call is None or c.get("id") == call]
    if not recorded:
        fail(f"文件中没有通话：{call}", f"no such call in the file: {call}")
    hl, actor = hotline(intelligence=True), operator()
    for item in recorded:
        draft = desk.start_call(hl, actor, item.get("caller_number"))
        shown, last = {}, 0.0
        for u in item["utterances"]:
            if speed > 0:
                time.sleep(max(0.0, (u["at"] - last) / speed))
            last = u["at"]
            draft = desk.add_utterances(hl, actor, draft["call_id"], [(u["speaker"], u["text"], None)])
            if not as_json:
                now = {k: draft["fields"][k] for k in SHOWN if draft["fields"][k]}
                new = {k: v for k, v in now.items() if shown.get(k) != v}
                shown = now
                typer.echo(f"[{u['speaker']}] {u['text']}" + (f"\n    → {new}" if new else ""))
        result = {"call_id": draft["call_id"], "fields": draft["fields"], "routing": draft["routing"],
                  "emergency": draft["emergency"], "elderly": draft["elderly"]}
        if submit:
            order = desk.submit_call(hl, actor, draft["call_id"])
            result["order"] = {"id": order.id, "code": order.code, "status": order.status.value,
                               "unit_code": order.unit_code}
        typer.echo(json.dumps(result, ensure_ascii=False, default=str) if as_json
                   else f"== {item.get('title', item.get('id'))}: {json.dumps(result.get('routing'), ensure_ascii=False)}"
                   + (f"\n   order {result['order']}" if submit else ""))
