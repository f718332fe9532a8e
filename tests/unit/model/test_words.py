"""The small words of every message: counts with their plural, and a or an as the word is said."""

import pytest

from swtool.model.words import a, article, plural


@pytest.mark.parametrize("n, expected", [(0, "0 warnings"), (1, "1 warning"), (2, "2 warnings")])
def test_plural(n, expected):
    assert plural(n, "warning") == expected


def test_plural_of_a_word_that_is_not_word_s():
    assert (plural(1, "summary", "summaries"), plural(3, "summary", "summaries")) == ("1 summary", "3 summaries")


@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("apprenticeship start (2b)", "an"),
        ("job start (2a)", "a"),
        ("annotated copy", "an"),
        ("backup", "a"),
        ("output", "an"),
        ("user", "a"),
        ("one-off payment", "a"),
        ("hour", "an"),
        ("8-week course", "an"),
        ("11", "an"),
        ("18", "an"),
        ("180", "a"),
        ("11000", "an"),
        ("1", "a"),
        ("", "a"),
    ],
)
def test_article_follows_the_sound(phrase, expected):
    assert article(phrase) == expected


def test_a_puts_the_article_in_front():
    assert a("apprenticeship start (2b)") == "an apprenticeship start (2b)"
