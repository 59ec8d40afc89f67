from wordcount import count_words, top_words


def test_count_is_case_insensitive():
    assert count_words("The the THE cat")["the"] == 3


def test_top_words_breaks_ties_alphabetically():
    assert top_words("b a c a b d", 2) == [("a", 2), ("b", 2)]


def test_top_words_of_empty_text():
    assert top_words("") == []
