"""Loading the data files: a YAML file's parse is kept in the cache folder, per version of the file."""

import pickle

import yaml

from flashpoint import lexicon


def test_a_data_file_is_parsed_once_per_version_and_each_caller_gets_its_own_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASHPOINT_CACHE", str(tmp_path))
    parsed = yaml.safe_load(lexicon.data_text("senses.yaml"))
    assert lexicon.load_yaml("senses.yaml") == parsed
    cached = tmp_path / "data" / "senses.yaml.pickle"
    digest, kept = pickle.loads(cached.read_bytes())
    assert kept == parsed and list(tmp_path.joinpath("data").iterdir()) == [cached]  # no temporary file left

    first = lexicon.load_yaml("senses.yaml")
    first.clear()
    assert lexicon.load_yaml("senses.yaml") == parsed  # not the object another caller changed

    cached.write_bytes(pickle.dumps((digest, {"from": "the cache"})))
    assert lexicon.load_yaml("senses.yaml") == {"from": "the cache"}  # read from the cache, not parsed
    cached.write_bytes(pickle.dumps(("an older version of the file", {"from": "the cache"})))
    assert lexicon.load_yaml("senses.yaml") == parsed  # another version: parsed again, and kept
    assert pickle.loads(cached.read_bytes()) == (digest, parsed)
    cached.write_bytes(b"not a pickle")
    assert lexicon.load_yaml("senses.yaml") == parsed


def test_trigger_entries_are_the_same_whether_parsed_or_read_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASHPOINT_CACHE", str(tmp_path))
    lexicon.load_triggers.cache_clear()
    try:
        parsed = lexicon.load_triggers()
        lexicon.load_triggers.cache_clear()
        cached = lexicon.load_triggers()
        assert (tmp_path / "data" / "triggers.yaml.pickle").exists()
        assert cached.by_word == parsed.by_word and cached.defaults == parsed.defaults and len(parsed.by_word) > 500
    finally:
        lexicon.load_triggers.cache_clear()


def test_words_pattern_finds_what_its_regex_finds():
    from flashpoint.lexicon import words_pattern

    p = words_pattern(["Air strike", "shelling", "u.s. forces", "anti-government", "#strike", "-led"])
    texts = [
        "the air strike hit a market", "an air-strike hit", "air strikes hit", "shelling, then silence", "the shellings",
        "u.s. forces left", "us forces left", "anti-government protests", "an anti-government-style rally",
        "the #strike trended", "a saudi-led coalition", "a saudi -led coalition", "nothing here", "",
    ]
    found = [t for t in texts if p.search(t)]
    assert found == [t for t in texts if p.regex.search(t)]
    assert found == ["the air strike hit a market", "shelling, then silence", "u.s. forces left", "anti-government protests",
                     "the #strike trended", "a saudi -led coalition"]
