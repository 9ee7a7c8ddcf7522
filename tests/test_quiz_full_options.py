"""On the web the quiz has room for whole options: a poll's are cut at 100 characters ("…"), the
site shows what they were cut from."""

from bot.quiz.generate import generate_bank
from bot.quiz.model import OPTION_MAX


def test_cut_options_keep_their_whole_text_and_polls_keep_their_limit(assistant):
    bank = generate_bank(assistant.index.current(), assistant.segmenter)
    cut = [q for q in bank if any(o.endswith("…") for o in q.options)]
    assert cut
    for q in cut:
        whole = q.source["options_full"]
        assert len(whole) == len(q.options) and all(len(o) <= OPTION_MAX for o in q.options)
        for short, full in zip(q.options, whole, strict=True):
            assert not full.endswith("…") and full.startswith(short.rstrip("…").rstrip(",; "))
