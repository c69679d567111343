"""The content languages' kernel: fallback chains, writing direction, the settings."""

import pytest

from motpub import i18n
from motpub.config import ConfigError, Settings

TEN = ("zh", "zh-Hant", "en", "ru", "ar", "th", "fr", "es", "ja", "ko")


@pytest.fixture
def ten_languages():
    i18n.configure(TEN + ("pt",))
    yield
    i18n.configure(i18n.DEFAULT_LANGUAGES)


def test_traditional_chinese_falls_back_to_simplified_then_english(ten_languages):
    assert i18n.fallback_chain("zh-Hant", "ru")[:4] == ("zh-Hant", "zh", "en", "ru")
    assert i18n.fallback_chain("zh", "ru")[:3] == ("zh", "en", "ru")


def test_other_languages_fall_back_to_english_then_the_items_default(ten_languages):
    assert i18n.fallback_chain("ar", "ja")[:3] == ("ar", "en", "ja")
    # A regional tag that is not configured looks in its language first.
    assert i18n.fallback_chain("pt-BR", "zh")[:3] == ("pt", "en", "zh")
    # Every configured language is in the chain once, and nothing else.
    chain = i18n.fallback_chain("th", "zh")
    assert sorted(chain) == sorted(TEN + ("pt",))


def test_a_removed_language_is_never_in_a_chain():
    i18n.configure(("zh", "en"))
    assert i18n.fallback_chain("ru", "zh") == ("en", "zh")


def test_configured_fallbacks_replace_the_default_for_their_language(ten_languages):
    i18n.configure(TEN, {"ko": ("ja", "zh")})
    assert i18n.fallback_chain("ko", "ru")[:5] == ("ko", "ja", "zh", "en", "ru")
    assert i18n.fallback_chain("zh-Hant")[:2] == ("zh-Hant", "zh")


@pytest.mark.parametrize("tag, direction", [
    ("ar", "rtl"), ("he", "rtl"), ("fa", "rtl"), ("ur", "rtl"), ("uz-Arab", "rtl"),
    ("en", "ltr"), ("zh-Hant", "ltr"), ("th", "ltr"), ("az-Latn", "ltr"), ("xx-bogus", "ltr"),
])
def test_direction(tag, direction):
    assert i18n.direction(tag) == direction


def test_fallbacks_setting_is_parsed_and_bad_ones_stop_the_start(tmp_path):
    settings = Settings.from_env({"MOTPUB_DATA_DIR": str(tmp_path),
                                  "MOTPUB_FALLBACKS": "zh-Hant=zh,en; pt-BR=pt"})
    assert settings.fallbacks == {"zh-Hant": ("zh", "en"), "pt-BR": ("pt",)}
    for bad in ("zh-Hant", "zh-Hant=", "zz-qq-1234=en", "en=en"):
        with pytest.raises(ConfigError) as raised:
            Settings.from_env({"MOTPUB_DATA_DIR": str(tmp_path), "MOTPUB_FALLBACKS": bad})
        assert "MOTPUB_FALLBACKS" in str(raised.value)
