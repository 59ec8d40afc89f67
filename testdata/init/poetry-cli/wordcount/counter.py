"""Word counting, independent of the command line."""

import re
from collections import Counter

_WORD = re.compile(r"[a-z0-9']+")


def count_words(text: str) -> Counter:
    """Return how often each lowercased word occurs in text."""
    return Counter(_WORD.findall(text.lower()))


def top_words(text: str, n: int = 3) -> list[tuple[str, int]]:
    """Return the n most common words, ties broken alphabetically."""
    counts = count_words(text)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
