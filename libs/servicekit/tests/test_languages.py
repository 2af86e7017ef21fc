"""The caller's language from Accept-Language: the platform's best-weighted one, else English."""

from __future__ import annotations

import pytest

from together_servicekit.languages import accepted_language


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("fr", "fr"),
        ("fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5", "fr"),
        ("de-DE, es;q=0.7, en;q=0.3", "es"),
        ("en;q=0.2, ES-mx;q=0.9", "es"),
        ("fr;q=0.5, es;q=0.5", "fr"),  # a tie: the first listed
        ("de, it", "en"),  # nothing the platform speaks
        ("fr;q=0, es;q=0.1", "es"),  # q=0: not acceptable
        ("fr;q=abc, es", "es"),  # a weight that is no number counts as none
        ("*", "en"),
    ],
)
def test_the_best_weighted_language_the_platform_speaks(header, language):
    assert accepted_language(header) == language
