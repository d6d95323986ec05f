"""Signatures at the places the page names: handwriting, a typed name, a seal alone, nothing."""

from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from extractors.vision.images import PageImage
from extractors.vision.seals import find_seals
from extractors.vision.signatures import find_signatures, signature_places
from fixtures.seals.draw import SealSpec, seal_picture, signature_picture
from schemas.facts import Box, PageFacts, Word

DPI = 150.0
SCALE = DPI / 72.0
FONT = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 21, index=0)


def _word(
    text: str, x0: float, top: float, *, source: str = "text_layer", confidence: float | None = None
) -> Word:
    return Word(
        text=text,
        box=Box(x0=x0, top=top, x1=x0 + 10.5 * len(text), bottom=top + 10.5),
        source=source,
        confidence=confidence,
    )


def _agreement_block() -> list[Word]:
    return [
        _word("甲方（签章）：", 80, 500),
        _word("乙方（签章）：", 320, 500),
        _word("长沙民政职业技术学院", 80, 530),
        _word("湖南金职伟业母婴护理有限公司", 320, 530),
        _word("授权代表（签字）：", 80, 570),
        _word("授权代表（签字）：", 320, 570),
    ]


def _render(words: list[Word]) -> Image.Image:
    page = Image.new("RGBA", (int(595 * SCALE), int(842 * SCALE)), (255, 255, 255, 255))
    draw = ImageDraw.Draw(page)
    for word in words:
        draw.text((word.box.x0 * SCALE, word.box.top * SCALE), word.text, fill=(0, 0, 0, 255), font=FONT)
    return page


def _facts(words: list[Word]) -> PageFacts:
    return PageFacts(number=4, width=595, height=842, has_text_layer=True, kind="agreement", words=words)


def _image(page: Image.Image) -> PageImage:
    return PageImage(number=4, pixels=np.asarray(page.convert("RGB"), dtype=np.uint8), dpi=DPI)


def _sign(page: Image.Image, label: Word, seed: int, name: str = "") -> None:
    picture = signature_picture(random.Random(seed), DPI, name=name)
    x = int(label.box.x1 * SCALE + 8)
    y = int((label.box.top + label.box.bottom) / 2 * SCALE - picture.height / 2)
    page.alpha_composite(picture, (x, y))


def test_labels_in_two_columns_are_the_school_and_the_organisation() -> None:
    places = signature_places(_facts(_agreement_block()))
    assert [(p.label, p.party) for p in places] == [
        ("甲方（签章）：", "school"),
        ("乙方（签章）：", "org"),
        ("授权代表（签字）：", "school"),
        ("授权代表（签字）：", "org"),
    ]
    # The school's place ends before the organisation's label begins.
    assert places[2].region.x1 < places[3].label_box.x0


def test_a_sentence_that_mentions_signing_is_no_signature_place() -> None:
    sentence = _word("本协议经双方法定代表人或授权代表签字并加盖公章后生效。", 80, 300)
    assert signature_places(_facts([sentence])) == []


def test_handwriting_by_the_school_and_nothing_by_the_organisation() -> None:
    words = _agreement_block()
    page = _render(words)
    for seed in range(5):  # different strokes and the brush-font name
        signed = page.copy()
        _sign(signed, words[4], seed, name="李建国" if seed % 2 else "")
        verdicts = find_signatures(_image(signed), _facts(words))
        by = {(v.place.label, v.place.party): v for v in verdicts}
        school = by[("授权代表（签字）：", "school")]
        assert school.verdict == "handwriting" and school.box is not None, seed
        assert school.box.x0 >= words[4].box.x1 - 2
        assert by[("授权代表（签字）：", "org")].verdict == "empty"
        assert school.to_fact() is not None


def test_a_typed_name_after_the_label_is_no_signature() -> None:
    words = [*_agreement_block(), _word("王建国", 185, 570)]
    verdicts = find_signatures(_image(_render(words)), _facts(words))
    school = next(v for v in verdicts if v.place.party == "school" and "授权代表" in v.place.label)
    assert school.verdict == "typed_name" and school.typed == "王建国"
    assert school.to_fact() is None


def test_a_confident_ocr_word_is_print_but_a_doubtful_one_may_be_handwriting() -> None:
    words = _agreement_block()
    page = _render(words)
    _sign(page, words[4], 11)
    guess = Word(text="王", box=Box(x0=185, top=565, x1=230, bottom=585), source="ocr", confidence=31.0)
    verdicts = find_signatures(_image(page), _facts([*words, guess]))
    school = next(v for v in verdicts if v.place.party == "school" and "授权代表" in v.place.label)
    assert school.verdict == "handwriting"


def test_a_seal_alone_in_the_signature_place_is_no_signature() -> None:
    words = _agreement_block()
    page = _render(words)
    seal = seal_picture(SealSpec(name="长沙民政职业技术学院", wear=0.02), random.Random(2), DPI)
    label = words[4]
    page.alpha_composite(
        seal, (int(label.box.x1 * SCALE) - 40, int(label.box.top * SCALE) - seal.height // 2)
    )
    image = _image(page)
    verdicts = find_signatures(image, _facts(words), find_seals(image))
    school = next(v for v in verdicts if v.place.party == "school" and "授权代表" in v.place.label)
    assert school.verdict == "seal_only"


def test_a_ruled_line_to_sign_on_is_no_signature() -> None:
    words = _agreement_block()
    page = _render(words)
    draw = ImageDraw.Draw(page)
    y = int(words[4].box.bottom * SCALE) + 2
    draw.line(
        [(int(words[4].box.x1 * SCALE) + 4, y), (int(words[4].box.x1 * SCALE) + 200, y)],
        fill=(0, 0, 0, 255),
        width=2,
    )
    verdicts = find_signatures(_image(page), _facts(words))
    school = next(v for v in verdicts if v.place.party == "school" and "授权代表" in v.place.label)
    assert school.verdict == "empty"


def test_an_agreement_page_looked_at_becomes_a_review_with_crops_and_findings() -> None:
    from checks.seal_rules import decide_plan
    from extractors.vision.document_look import PageLook, review_of
    from extractors.vision.seal_match import SealMatch
    from extractors.vision.seal_text import crop_png

    words = _agreement_block()
    page = _render(words)
    seal = seal_picture(SealSpec(name="湖南金职伟业母婴护理有限公司", wear=0.02), random.Random(4), DPI)
    page.alpha_composite(seal, (int(340 * SCALE), int(470 * SCALE)))  # by the 乙方 block only
    _sign(page, words[5], 3)  # the organisation's representative signs, the school's does not
    image = _image(page)
    seals = find_seals(image)
    verdicts = find_signatures(image, _facts(words), seals)
    written: list[tuple[int, bytes]] = []

    def crop(number: int, box: Box) -> str:
        written.append((number, crop_png(image, box)))
        return f"crops/{len(written)}.png"

    look = PageLook(
        number=4,
        part="agreement",
        bilevel=False,
        words_read=True,
        seals=tuple(seals),
        matches=tuple(SealMatch("unreadable", "", None, 0.0) for _ in seals),
        signatures=tuple(verdicts),
    )
    review = review_of([look], crop)
    assert [s.party for s in review.seals] == ["org"]
    decision = decide_plan(review)
    [seal_hit] = decision.hits["agreement.seal_missing"]
    [signature_hit] = decision.hits["agreement.signature_missing"]
    assert seal_hit.page == 4 and signature_hit.evidence is not None
    assert signature_hit.evidence.startswith("crops/")
    assert all(png.startswith(b"\x89PNG") for _, png in written)


def test_a_sentence_after_a_label_makes_no_signature_place_verdict() -> None:
    # OCR joined 签章 with the clause after it: “签章之日起生效，有效期至2022年” is no typed name.
    words = [
        _word("甲方（签章）：", 80, 500),
        _word("授权代表（签字）：", 80, 570),
        _word("本协议自双方签章", 80, 650),
        _word("之日起生效，有效期至2022年12月31日", 165, 650),
    ]
    page = _render(words)
    verdicts = find_signatures(_image(page), _facts(words))
    assert all(v.verdict != "typed_name" for v in verdicts), [(v.place.label, v.typed) for v in verdicts]
    assert any("授权代表" in v.place.label for v in verdicts)
