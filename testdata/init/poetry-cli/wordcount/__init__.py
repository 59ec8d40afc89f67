"""Count words in text and report the most common ones."""

from wordcount.counter import count_words, top_words

__all__ = ["count_words", "top_words"]
