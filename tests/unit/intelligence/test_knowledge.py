"""Knowledge search over real reference cases (泰迪杯2020 附件4) and the Guangzhou demo articles."""

from __future__ import annotations

import pickle
from dataclasses import replace

import pytest

from rexian.intelligence.knowledge import (
    KnowledgeDoc,
    KnowledgeIndex,
    Synonyms,
    highlight,
    load_articles_csv,
    load_reference_cases,
    load_synonyms,
    snippet,
)


@pytest.fixture(scope="module")
def cases() -> list[KnowledgeDoc]:
    return load_reference_cases()


@pytest.fixture(scope="module")
def articles() -> list[KnowledgeDoc]:
    return load_articles_csv()


@pytest.fixture(scope="module")
def sample(cases: list[KnowledgeDoc]) -> list[KnowledgeDoc]:
    return cases[::25]  # about 110 real cases, spread over the file


@pytest.fixture(scope="module")
def index(sample: list[KnowledgeDoc], articles: list[KnowledgeDoc]) -> KnowledgeIndex:
    index = KnowledgeIndex()
    for doc in [*articles, *sample]:
        index.add(doc)
    return index


def small_index(*docs: KnowledgeDoc, synonyms: Synonyms | None = None) -> KnowledgeIndex:
    index = KnowledgeIndex(synonyms)
    for doc in docs:
        index.add(doc)
    return index


def doc(doc_id: str, title: str, body: str = "", **fields) -> KnowledgeDoc:
    return KnowledgeDoc(id=doc_id, kind=fields.pop("kind", "article"), title=title, body=body, **fields)


def test_reference_cases_are_the_deduplicated_real_messages_with_their_source(cases):
    assert 2700 < len(cases) < 2816
    assert len({c.id for c in cases}) == len(cases)
    assert len({(c.title, c.body) for c in cases}) == len(cases)
    first = cases[0]
    assert first.kind == "case"
    assert first.source == f"泰迪杯2020 附件4 留言编号 {first.id.rsplit('-', 1)[1]}"
    assert "答复意见" in first.body and "\t" not in first.body and "\u3000" not in first.body


def test_articles_have_a_question_variants_answer_unit_and_region(articles):
    assert len(articles) >= 40
    assert len({a.id for a in articles}) == len(articles)
    for article in articles:
        assert article.kind == "article" and article.title and article.body
        assert article.variants and article.unit and article.region and article.region.startswith("广州市")


def test_synonym_table_has_about_eighty_concepts():
    assert len(load_synonyms().groups) >= 75


def test_a_real_title_finds_its_case_in_the_top_three(index, sample):
    misses = [
        case.title
        for case in sample[::4]
        if case.id not in [hit.doc_id for hit in index.search(case.title, k=3)]
    ]
    assert misses == []


def test_words_of_a_real_message_find_it_without_its_title(sample, articles):
    case = sample[7]
    index = small_index(*articles, *[replace(c, title="") if c.id == case.id else c for c in sample])
    assert case.id in [hit.doc_id for hit in index.search(case.title, k=5)]


def test_a_question_variant_finds_its_article_first(index, articles):
    for article in articles:
        assert index.search(article.variants[0], k=1)[0].doc_id == article.id, article.variants[0]


def test_the_question_field_outweighs_the_body():
    in_title = doc("t", "公积金提取", "办理流程见下文。")
    in_body = doc("b", "购房相关事项", "购房后可以申请公积金提取，也可以咨询窗口。")
    hits = small_index(in_body, in_title).search("公积金提取")
    assert [hit.doc_id for hit in hits] == ["t", "b"]


def test_a_synonym_finds_a_document_that_only_uses_the_other_wording():
    only_formal = doc("formal", "缴费记录怎么查询", "可以登录网上服务平台查询社会保险缴费明细。")
    unrelated = doc("other", "营业执照怎么办理", "到政务服务中心市场监管窗口办理。")
    with_table = small_index(only_formal, unrelated).search("社保")
    without_table = small_index(only_formal, unrelated, synonyms=Synonyms([])).search("社保")
    assert [hit.doc_id for hit in with_table] == ["formal"]
    assert "社会保险" in with_table[0].matched_terms
    assert without_table == []


def test_region_filter_keeps_documents_of_that_region_above_and_everywhere():
    docs = [
        doc("tianhe", "小一入学报名", region="广州市天河区"),
        doc("yuexiu", "小一入学报名", region="广州市越秀区"),
        doc("city", "小一入学报名", region="广州市"),
        doc("anywhere", "小一入学报名"),
    ]
    index = small_index(*docs)
    assert {hit.doc_id for hit in index.search("入学报名", k=10, region="广州市天河区")} == {
        "tianhe",
        "city",
        "anywhere",
    }
    assert {hit.doc_id for hit in index.search("入学报名", k=10)} == {d.id for d in docs}


def test_unit_and_kind_filters_keep_only_matching_documents(index):
    unit = "广州住房公积金管理中心"
    by_unit = index.search("公积金", k=10, unit=unit)
    assert by_unit and {index.get(hit.doc_id).unit for hit in by_unit} == {unit}
    assert {hit.kind for hit in index.search("物业管理", k=10, kinds=["case"])} == {"case"}
    assert index.search("公积金", unit="没有这个单位") == []


def test_removing_a_document_hides_it_and_adding_again_updates_it():
    index = small_index(
        doc("a", "燃气报修", "闻到燃气味请立即关闭阀门。"), doc("b", "停水报修", "拨打供水热线。")
    )
    assert index.remove("a") and not index.remove("a")
    assert [hit.doc_id for hit in index.search("燃气")] == []
    assert len(index) == 1 and "a" not in index
    index.add(doc("b", "停电报修", "拨打95598供电服务热线。"))
    assert [hit.doc_id for hit in index.search("停电")] == ["b"]
    assert index.search("供水") == []
    assert len(index) == 1


def test_search_stays_correct_after_many_removals_reclaim_space():
    index = small_index(*[doc(f"d{i}", f"第{i}号文档", f"编号{i}的说明") for i in range(1500)])
    for i in range(1500):
        if i % 10:
            index.remove(f"d{i}")
    assert len(index) == 150
    assert index.search("第20号文档", k=1)[0].doc_id == "d20"
    assert index.search("第21号文档", k=1)[0].doc_id != "d21"


@pytest.mark.parametrize("query", ["", "   ", "！！！？？", "的了吗", "😀🎉", "zzqqxxyy"])
def test_an_empty_or_meaningless_query_gives_no_hits(index, query):
    assert index.search(query) == []


def test_an_empty_index_gives_no_hits():
    assert KnowledgeIndex().search("社保卡补办") == []


def test_hits_are_best_first_and_at_most_k(index):
    hits = index.search("小区物业乱收停车费", k=4)
    assert len(hits) == 4
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_the_snippet_is_a_short_excerpt_around_the_matched_terms(index):
    hit = index.search("住房公积金提取", k=1)[0]
    assert len(hit.snippet) <= 82
    assert any(term in hit.snippet for term in hit.matched_terms)


def test_snippet_jumps_to_the_densest_matches_and_highlight_marks_them():
    text = "开头无关内容。" * 30 + "办理公积金提取需要身份证。" + "结尾无关内容。" * 30
    excerpt = snippet(text, ["公积金", "提取"], width=40)
    assert excerpt.startswith("…") and excerpt.endswith("…") and "公积金提取" in excerpt
    assert "【公积金】【提取】" in highlight(excerpt, ["公积金", "提取"])


def test_a_pickled_index_answers_like_the_original_and_stays_updatable(index):
    copy = pickle.loads(pickle.dumps(index))
    assert copy.search("公积金提取", k=5) == index.search("公积金提取", k=5)
    copy.add(doc("new", "电梯故障报修", "小区电梯停运请联系物业。"))
    assert copy.search("电梯故障", k=1)[0].doc_id == "new"
    assert "new" not in index


def test_skipping_common_terms_where_they_cannot_change_the_top_k_gives_the_exhaustive_ranking(
    index, sample, articles
):
    exhaustive = KnowledgeIndex(common_share=1.0)
    for doc_ in [*articles, *sample]:
        exhaustive.add(doc_)
    for query in [c.title for c in sample[::5]] + ["答复意见", "问题", "社保"]:
        assert index.search(query, k=5) == exhaustive.search(query, k=5), query
