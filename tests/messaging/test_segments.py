"""SMS length and parts: the edge cases of GSM-7 and UCS-2, and properties over any text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messaging.segments import GSM7_BASIC, GSM7_EXTENSION, charged_warning, measure

EMOJI = "\U0001f600"  # 2 UTF-16 units
UCS = "\u0133"  # ĳ: outside GSM-7, one UTF-16 unit

EDGES = [
    # text, encoding, characters, segments, per_segment, lengths of the parts (in characters)
    ("", "GSM-7", 0, 1, 160, [0]),
    ("a" * 160, "GSM-7", 160, 1, 160, [160]),
    ("a" * 161, "GSM-7", 161, 2, 153, [153, 8]),
    ("a" * 159, "GSM-7", 159, 1, 160, [159]),
    ("a" * 159 + "€", "GSM-7", 161, 2, 153, [153, 6 + 1]),  # 159 + € is 161 septets: two parts
    ("a" * 158 + "€", "GSM-7", 160, 1, 160, [159]),  # exactly 160 septets: one part
    ("a" * 152 + "€" + "b" * 10, "GSM-7", 164, 2, 153, [152, 11]),  # the escape pair never straddles
    ("€" * 80, "GSM-7", 160, 1, 160, [80]),
    ("€" * 81, "GSM-7", 162, 2, 153, [76, 5]),
    ("a" * 306, "GSM-7", 306, 2, 153, [153, 153]),
    ("a" * 307, "GSM-7", 307, 3, 153, [153, 153, 1]),
    (UCS * 70, "UCS-2", 70, 1, 70, [70]),
    (UCS * 71, "UCS-2", 71, 2, 67, [67, 4]),
    (UCS * 68 + EMOJI, "UCS-2", 70, 1, 70, [69]),  # an emoji is 2 units: 70 in one part
    (UCS * 69 + EMOJI, "UCS-2", 71, 2, 67, [67, 3]),
    (UCS * 66 + EMOJI + "x", "UCS-2", 69, 1, 70, [68]),
    (UCS * 66 + EMOJI + UCS * 4, "UCS-2", 72, 2, 67, [66, 5]),  # the surrogate pair moves whole
    ("Habari " + EMOJI, "UCS-2", 9, 1, 70, [8]),
    ("ü" * 160, "GSM-7", 160, 1, 160, [160]),  # ü is in the GSM-7 table
]


@pytest.mark.parametrize(("text", "encoding", "characters", "segments", "per_segment", "parts"), EDGES)
def test_edge_cases(text: str, encoding: str, characters: int, segments: int, per_segment: int,
                    parts: list[int]) -> None:
    length = measure(text)
    assert (length.encoding, length.characters, length.segments, length.per_segment) == (
        encoding, characters, segments, per_segment)
    assert [len(p) for p in length.parts] == parts
    assert "".join(length.parts) == text


def _cost(text: str, encoding: str) -> int:
    if encoding == "GSM-7":
        return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
    return len(text.encode("utf-16-le")) // 2


gsm_text = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=700)
any_text = st.text(max_size=400)


@given(st.one_of(gsm_text, any_text))
def test_parts_are_the_text_within_the_limits(text: str) -> None:
    length = measure(text)
    assert "".join(length.parts) == text
    assert length.segments == len(length.parts)
    assert length.characters == _cost(text, length.encoding)
    for part in length.parts:
        assert _cost(part, length.encoding) <= length.per_segment
    if length.segments > 1:  # a part only ends early when the next character would not fit
        for part, following in zip(length.parts, length.parts[1:], strict=False):
            assert _cost(part + following[0], length.encoding) > length.per_segment


def test_the_double_charge_warning() -> None:
    assert charged_warning(1) is None
    assert charged_warning(2) == "2 SMS: charged twice"
    assert charged_warning(3) == "3 SMS: charged 3 times"
