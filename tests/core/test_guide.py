"""The offline guide: a page for every view, each saying what it shows, what to try, and why."""

from __future__ import annotations

import pytest

from workbench.core.guide import FEATURE_MAPS, PAGES, VIEWS, page


def test_every_view_and_the_feature_map_dock_has_one_page():
    assert [entry.view for entry in PAGES] == [*VIEWS, FEATURE_MAPS]
    assert VIEWS == ("Draw", "Load", "Train", "Evaluate", "Anatomy", "Lab")
    for view in (*VIEWS, FEATURE_MAPS):
        assert page(view).view == view
    with pytest.raises(KeyError):
        page("Nowhere")


def test_each_page_says_what_it_shows_what_to_try_and_asks_a_question():
    for entry in PAGES:
        assert len(entry.shows) > 40, entry.view
        assert entry.try_this and all(len(step) > 10 for step in entry.try_this), entry.view
        assert "?" in entry.question, entry.view
        text = entry.html()
        for heading in ("What it shows", "What to try", "The homework question it answers"):
            assert heading in text, (entry.view, heading)
        assert text.count("<li>") == len(entry.try_this)
        assert "http" not in text  # offline: nothing to follow out of the window


def test_the_anatomy_page_asks_the_conv2_question_and_html_is_escaped():
    assert "How many parameters does CONV2 have and why?" in page("Anatomy").question
    assert "channels×height×width" in page("Anatomy").shows
    assert "&lt;" not in page("Draw").html() and "<script" not in page("Draw").html()
