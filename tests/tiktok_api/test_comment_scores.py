"""Comment language and sentiment on a small multilingual corpus, with the labels a reader would give."""

from __future__ import annotations

import hashlib

import pytest

from tiktok_api import comment_scores as cs

# (text, language, label, null reason)
CORPUS = [
    ("Love this so much, best coffee ever 😍", "en", cs.POSITIVE, None),
    ("Great tips, thanks!", "en", cs.POSITIVE, None),
    ("This is terrible, worst purchase of my life 😡", "en", cs.NEGATIVE, None),
    ("I hate this, never again", "en", cs.NEGATIVE, None),
    ("Where did you buy that mug?", "en", cs.NEUTRAL, None),
    ("so good 🔥🔥", "en", cs.POSITIVE, None),  # 🔥 is not read as VADER's negative "fire"
    ("Me encanta este video, muchas gracias", "es", None, cs.NOT_ENGLISH),
    ("Das ist wirklich schrecklich, nie wieder", "de", None, cs.NOT_ENGLISH),
    ("C'est magnifique, merci beaucoup pour la recette", "fr", None, cs.NOT_ENGLISH),
    ("Adorei esse vídeo, muito bom mesmo", "pt", None, cs.NOT_ENGLISH),
    ("😍😍😍", None, None, cs.NO_WORDS),
    ("🔥🔥🔥", None, None, cs.NO_WORDS),
    ("!!! 123", None, None, cs.NO_WORDS),
    ("", None, None, cs.NO_TEXT),
    ("   ", None, None, cs.NO_TEXT),
    (None, None, None, cs.NO_TEXT),
]


@pytest.mark.parametrize(("text", "language", "label", "reason"), CORPUS)
def test_the_corpus_gets_the_expected_language_label_and_reason(text, language, label, reason):
    score = cs.score_text(text)
    assert (score.language, score.sentiment_label, score.sentiment_null_reason) == (language, label, reason)
    if label is None:
        assert score.sentiment_compound is None  # never a score beside a null label
    else:
        assert -1.0 <= score.sentiment_compound <= 1.0
        assert cs.sentiment_label(score.sentiment_compound) == label


def test_the_label_follows_vaders_documented_thresholds():
    assert [cs.sentiment_label(c) for c in (0.05, 0.0499, 0.0, -0.0499, -0.05)] == [
        cs.POSITIVE,
        cs.NEUTRAL,
        cs.NEUTRAL,
        cs.NEUTRAL,
        cs.NEGATIVE,
    ]


def test_letters_of_no_language_in_the_set_give_a_reason_not_a_guess():
    # Greek is not among LANGUAGES: lingua names no language rather than the nearest one
    score = cs.score_text("Καλημέρα σε όλους")
    assert (score.language, score.sentiment_label, score.sentiment_null_reason) == (None, None, cs.UNDETECTED)


def test_the_key_is_the_sha256_of_the_text_and_a_null_text_is_the_empty_text():
    assert cs.text_hash("café 😍") == hashlib.sha256("café 😍".encode()).hexdigest()
    assert cs.text_hash(None) == cs.text_hash("")


def test_only_texts_not_scored_before_are_planned():
    scored = {cs.text_hash("old text")}
    plan = cs.plan_scoring(["old text", "new text", "new text", None], scored)
    assert plan.seen == 3  # distinct texts
    assert set(plan.to_score.values()) == {"new text", None}
    assert plan.reused == 1
