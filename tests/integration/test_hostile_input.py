"""Hostile input: injection stored as text and shown escaped, path traversal refused, fuzzed importers
and extractors that never crash. Fuzz counts go to stdout (pytest -s) for the closing note."""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from tests.integration.conftest import ROOT, SHIPAI, auth
from tests.integration.test_api_lifecycle import file_order

from rexian.adapters.db.tables_office import attachments
from rexian.adapters.files import read_rows
from rexian.domain.errors import DomainError, InvalidInput, NotFound
from rexian.domain.routing import rules_from_csv
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Action, Actor
from rexian.services import office
from rexian.services.auth import add_user
from rexian.services.importing import import_file
from rexian.services.workorders import perform

SQL = "'; DROP TABLE work_orders; -- 1' OR '1'='1"
HTML = '<script>alert("x")</script><img src=x onerror=alert(1)>'
STAFF = Actor("shipai", Role.UNIT_STAFF, SHIPAI)


def test_sql_and_html_in_an_appeal_are_stored_as_text_and_shown_escaped(hotline, client, tokens):
    content = f"楼道堆放杂物 {SQL} {HTML}"
    order = file_order(client, tokens["agent"], content=content, address=HTML)
    stored = client.get(f"/api/v1/work-orders/{order['id']}", headers=auth(tokens["dispatcher"])).json()
    assert stored["content"] == content and stored["location"]["address"] == HTML
    assert client.get("/api/v1/work-orders", headers=auth(tokens["dispatcher"]),
                      params={"q": SQL}).status_code in (200, 422)
    add_user(hotline, "disp", Role.DISPATCHER, ROOT, None, "pw-disp-123")
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"name": "disp", "password": "pw-disp-123", "csrf": csrf, "next": "/office"})
    page = client.get(f"/office/orders/{order['id']}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text
    assert "onerror=alert(1)>" not in page.text


def test_an_attachment_name_cannot_climb_out_of_the_attachment_folder(hotline, client, tokens, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("REXIAN_HOME", str(tmp_path / "home"))
    oid = file_order(client, tokens["agent"])["id"]
    perform(hotline, oid, Action.DISPATCH, ROOT, {"unit_code": SHIPAI})
    attachment_id = office.add_attachment(hotline, STAFF, oid, "../../../../etc/cron.d/evil.txt", b"payload")
    meta, path = office.open_attachment(hotline, STAFF, attachment_id)
    assert meta["filename"] == "evil.txt"
    assert path.resolve().parent == (tmp_path / "home" / "attachments").resolve() and path.read_bytes() == b"payload"
    assert not (tmp_path / "etc").exists()
    with hotline.uow.begin(write=True) as tx:  # a stored name tampered with in the database
        tx.conn.execute(update(attachments).values(stored_name="../../secret.key"))
        tx.commit()
    with pytest.raises(NotFound):
        office.open_attachment(hotline, STAFF, attachment_id)


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
tried: dict[str, int] = {}


def _count(name: str) -> None:
    tried[name] = tried.get(name, 0) + 1


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    print(f"\nfuzz inputs tried: {tried}")


CSV_TEXT = st.lists(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=40), max_size=8),
                    max_size=12).map(lambda rows: "\n".join(",".join(r) for r in rows))
HEADERED = st.tuples(st.sampled_from(["留言主题,留言详情,留言时间", "content,channel,received_at",
                                      "问题描述,被反映区,来电时间", ""]), CSV_TEXT).map("\n".join)


@FUZZ
@given(data=st.one_of(st.binary(max_size=2000), HEADERED.map(lambda t: t.encode("utf-8")),
                      HEADERED.map(lambda t: t.encode("gb18030", errors="ignore"))),
       suffix=st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_reading_any_bytes_as_an_import_file_never_crashes(tmp_path_factory, data: bytes, suffix: str):
    path = tmp_path_factory.mktemp("fuzz") / f"upload{suffix}"
    path.write_bytes(data)
    _count("read_rows")
    try:
        _, rows = read_rows(path)
        for _ in rows:
            pass
    except DomainError:  # refused with a message, not a crash
        pass


def test_a_cell_larger_than_the_csv_module_reads_is_refused_with_its_line(tmp_path):
    """Python's csv stops at 128 kB a cell with its own error, which used to escape as a crash."""
    path = tmp_path / "export.csv"
    path.write_text("留言主题,留言详情\n路灯不亮,晚上很黑\n噪音," + "吵" * 140_000 + "\n", encoding="utf-8")
    _, rows = read_rows(path)
    with pytest.raises(InvalidInput, match="line 3"):
        list(rows)
    with pytest.raises(ValueError, match="line 2"):
        rules_from_csv("id,priority,unit_code,note\nR1,1,X," + "x" * 140_000 + "\n")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # parsing does not depend on the database
def test_importing_fuzzed_csv_files_refuses_or_imports_but_never_crashes(hotline, tmp_path, database_url):

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(text=HEADERED)
    def run(text: str) -> None:
        path = tmp_path / "orders.csv"
        path.write_text(text, encoding="utf-8")
        _count("import_file")
        with contextlib.suppress(DomainError):
            import_file(hotline, path, ROOT)

    run()


@pytest.fixture(scope="module")
def extractor():
    from rexian.intelligence.extraction import default_extractor

    return default_extractor("guangzhou")


HOTLINE_TEXT = st.text(alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(
    list("零一二三四五六七八九十百千万元号路街区市楼栋室点分年月日电话身份证我姓先生女士天河区石牌0123456789:-/"))),
    max_size=300)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(text=HOTLINE_TEXT)
def test_the_extractor_reads_any_text_without_crashing(extractor, text: str):
    _count("extract")
    result = extractor.extract(text)
    assert result is not None


@pytest.fixture(scope="module")
def resolver():
    from rexian.adapters.divisions import load_city
    from rexian.intelligence.location import Gazetteer, LocationResolver

    return LocationResolver(Gazetteer(load_city("guangzhou")))


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(text=HOTLINE_TEXT, address=st.none() | HOTLINE_TEXT)
def test_the_location_resolver_reads_any_text_without_crashing(resolver, text: str, address: str | None):
    _count("resolve")
    assert resolver.resolve(text, address) is not None
