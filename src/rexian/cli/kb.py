"""`rexian kb`: import articles or reference cases into the knowledge base, and search it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rexian.cli.core import emit, fail, hotline, operator

app = typer.Typer(help="Knowledge base (知识库): import and search.", no_args_is_help=True)


@app.command("import")
def import_command(file: Annotated[Path, typer.Argument(help="CSV/XLSX of articles or attachment-4 cases")],
                   as_json: Annotated[bool, typer.Option("--json", help="machine-readable report")] = False) -> None:
    """Import articles (published) or reference cases; ids already in the base are skipped."""
    from tqdm import tqdm

    from rexian.services import knowledge as kb

    if not file.exists():
        fail(f"文件不存在：{file}", f"no such file: {file}")
    with tqdm(desc="kb import", unit="row", disable=as_json) as bar:
        report = kb.import_file(hotline(), file, operator(), progress=bar.update)
    emit(report, as_json, f"{report['format']}: {report['imported']} imported, "
                          f"{report['skipped_existing']} already there, {len(report['rejected'])} rejected")


@app.command("search")
def search(query: Annotated[str, typer.Argument(help="what to look for")],
           limit: Annotated[int, typer.Option(help="how many results")] = 5,
           region: Annotated[str | None, typer.Option(help="e.g. 广州市天河区")] = None,
           as_json: Annotated[bool, typer.Option("--json", help="machine-readable results")] = False) -> None:
    """Search published articles and reference cases, best first."""
    from rexian.services import knowledge as kb

    results = kb.knowledge_base(hotline()).search(query, limit, region)
    emit(results, as_json, "\n".join(f"{r['score']:8.2f}  [{r['kind']}] {r['id']}  {r['title']}\n          {r['snippet']}"
                                     for r in results) or "没有结果 / no results")
