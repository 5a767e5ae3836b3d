"""The language of an article: English, German or Chinese (the three the drafts know).

langdetect (a port of Google's language-detection) ships its 55 language profiles in the package
(about 2 MB) and needs nothing else; on whole articles it is as accurate as lingua, whose
high-accuracy models make a far larger install for the three languages we need. Its random
sampling is seeded so that the same text always gets the same answer. A text written mostly in
Han characters, with no kana or hangul, is Chinese before langdetect is asked: on short texts in
traditional characters it answered Korean.
"""
from __future__ import annotations

from graph.errors import AllianceError

LANGUAGES = ("en", "de", "zh")


def detect(text: str) -> tuple[str, float]:
    """(language, probability) of ``text``; AllianceError if it is none of en, de, zh."""
    letters = [char for char in text[:20_000] if char.isalpha()]
    han = sum(1 for char in letters if "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff")
    other_cjk = sum(1 for char in letters if "\u3040" <= char <= "\u30ff" or "\uac00" <= char <= "\ud7af")
    if letters and han > len(letters) / 2 and not other_cjk:
        return "zh", round(han / len(letters), 2)
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # langdetect samples at random; a seed gives the same answer every time
    try:
        ranked = detect_langs(text[:20_000])
    except LangDetectException:
        ranked = []
    for guess in ranked:
        language = guess.lang.split("-")[0]
        if language in LANGUAGES:
            return language, round(float(guess.prob), 2)
    raise AllianceError("the article's language is not English, German or Chinese (or it has too little text): "
                        "give --language en, de or zh")


def check(language: str) -> str:
    """``--language`` as given, if it is one the drafts know."""
    code = language.strip().lower().split("-")[0]
    if code not in LANGUAGES:
        raise AllianceError(f"--language {language}: drafts know en, de and zh; give one of them")
    return code
