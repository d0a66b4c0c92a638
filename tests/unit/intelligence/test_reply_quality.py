from datetime import timedelta

from tests.unit.intelligence.conftest import parse_time

from rexian.intelligence.reply_quality import score_reply


def test_a_full_reply_beats_a_bare_acknowledgement(replies):
    row = replies[0]
    appeal = row["留言主题"] + row["留言详情"]
    full = score_reply(appeal, row["答复意见"])
    bare = score_reply(appeal, "您好！您反映的问题已收悉，谢谢！")
    assert full.total > bare.total
    assert "答复过于简短" in bare.reasons and "未提供联系方式" in bare.reasons


def test_a_reply_to_another_appeal_scores_low_on_relevance(replies):
    rows = replies[:40]
    true = [score_reply(r["留言主题"] + r["留言详情"], r["答复意见"]).relevance for r in rows]
    swapped = [
        score_reply(a["留言主题"] + a["留言详情"], b["答复意见"]).relevance
        for a, b in zip(rows, rows[1:] + rows[:1], strict=True)
    ]
    assert sum(true) > 3 * sum(swapped)


def test_a_late_reply_loses_timeliness_and_says_why(replies):
    row = replies[0]
    asked = parse_time(row["留言时间"])
    quick = score_reply(row["留言详情"], row["答复意见"], asked, asked + timedelta(hours=5))
    late = score_reply(row["留言详情"], row["答复意见"], asked, asked + timedelta(days=60))
    assert quick.timeliness == 1.0 and late.timeliness < 0.5
    assert any("工作日" in reason for reason in late.reasons)
    assert 0 <= late.total <= 100
