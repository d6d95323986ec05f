"""Is a page's text layer worth reading, or is it a disguise?

Two kinds of text layer look readable and are not:

- fonts that carry GBK codes with no ToUnicode map: pdfminer decodes each byte as Latin-1,
  so 全世界 arrives as ``È« ÊÀ ½ç``. The bytes are still there; re-decoding them as GBK gives
  the Chinese back, word by word, boxes unchanged;
- a scanner's invisible OCR layer of poor quality behind a page image: characters that no
  Chinese document prints (stray Latin letters, symbols, broken punctuation) in a share that
  real text never has. Such a page is better read by our own OCR.

Pure functions on words; ``pdf_text`` decides with them.
"""

from __future__ import annotations

import re

from schemas.facts import Word

_HIGH_LATIN1 = re.compile(r"[\u0080-\u00ff]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# What a Chinese document prints: CJK, digits, ASCII letters in words, common punctuation.
_PLAUSIBLE = re.compile(
    r"[\u4e00-\u9fff0-9A-Za-z，。、；：？！“”‘’（）《》【】〔〕—…·,.;:?!()\[\]%％/\-+＋=@_ 　]"
)
MOJIBAKE_SHARE = 0.3
GBK_CJK_SHARE = 0.5
POOR_LAYER_SHARE = 0.8


def _visible(text: str) -> str:
    return re.sub(r"\s", "", text)


def looks_like_latin1_mojibake(words: list[Word]) -> bool:
    text = _visible("".join(word.text for word in words))
    return bool(text) and len(_HIGH_LATIN1.findall(text)) / len(text) >= MOJIBAKE_SHARE


def _gbk(text: str) -> str | None:
    try:
        return text.encode("latin-1").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def redecoded_as_gbk(words: list[Word]) -> list[Word] | None:
    """The words with their Latin-1 mojibake decoded as GBK, or None when that does not give
    Chinese (then the page must be OCRed)."""
    result: list[Word] = []
    for word in words:
        decoded = _gbk(word.text) if _HIGH_LATIN1.search(word.text) else word.text
        if decoded is None:
            return None
        result.append(word.model_copy(update={"text": decoded}))
    text = _visible("".join(word.text for word in result))
    if not text or len(_CJK.findall(text)) / len(text) < GBK_CJK_SHARE:
        return None
    return result


def plausible_share(words: list[Word]) -> float:
    """Share of the characters that a printed Chinese document would carry."""
    text = _visible("".join(word.text for word in words))
    if not text:
        return 1.0
    return len(_PLAUSIBLE.findall(text)) / len(text)


def poor_hidden_layer(words: list[Word], covered_by_image: bool) -> bool:
    """A text layer behind a page-sized image whose characters are not a document's."""
    return covered_by_image and plausible_share(words) < POOR_LAYER_SHARE
