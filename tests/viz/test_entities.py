"""Entity highlighting values and colours."""

from __future__ import annotations

import itertools

import colour
import numpy as np
import pytest

from roberta_demo.results import EntitySpan, NerResult, RunInfo
from roberta_demo.viz.entities import ENTITY_TYPES, entity_colours, entity_rows, highlighted

# How a colour looks to a reader: a linear-RGB matrix (colour-science's Machado 2009 simulation at full severity).
VISIONS = {
    "normal": np.eye(3),
    "protanopia": colour.blindness.matrix_cvd_Machado2009("Protanomaly", 1.0),
    "deuteranopia": colour.blindness.matrix_cvd_Machado2009("Deuteranomaly", 1.0),
}


def test_highlighted_value_uses_character_offsets():
    text = "Zoë met <b>Paris</b>"
    entity = EntitySpan("Paris", "LOC", 0.9, 11, 16)
    result = NerResult(text, [entity], ["LOC"], RunInfo("c", "cpu", 0.0))
    assert highlighted(result, [entity]) == {"text": text, "entities": [{"entity": "LOC", "start": 11, "end": 16}]}
    assert entity_rows([entity]) == [["Paris", "LOC", 0.9, 11, 16]]


def test_colours_are_stable_and_distinct():
    first = entity_colours(["PER", "ORG", "LOC", "MISC", "DATE"])
    assert first == entity_colours(["DATE", "MISC", "LOC", "ORG", "PER"])
    assert len(set(first.values())) == 5


def _rgb(code: str) -> np.ndarray:
    return np.array([int(code[i : i + 2], 16) for i in (1, 3, 5)]) / 255


def _seen(code: str, vision: str) -> np.ndarray:
    """CIELAB of the colour as a reader with `vision` sees it."""
    linear = np.clip(colour.cctf_decoding(_rgb(code)) @ VISIONS[vision].T, 0, 1)
    return colour.XYZ_to_Lab(colour.RGB_to_XYZ(linear, "sRGB"))


def _contrast(first: str, second: str) -> float:
    """WCAG's contrast ratio: relative luminance is CIE Y of the sRGB colour."""
    light, dark = sorted((colour.sRGB_to_XYZ(_rgb(code))[1] for code in (first, second)), reverse=True)
    return float((light + 0.05) / (dark + 0.05))


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("vision", list(VISIONS))
def test_entity_colours_stay_apart_for_colour_blind_readers(language, vision):
    """Every pair of a profile's entity colours, and each against the white page, is at least 10 ΔE2000 apart as a
    protanope or deuteranope sees them (and in normal vision)."""
    colours = {**entity_colours(ENTITY_TYPES[language]), "page": "#ffffff"}
    seen = {name: _seen(code, vision) for name, code in colours.items()}
    distances = {
        (a, b): float(colour.difference.delta_E_CIE2000(seen[a], seen[b])) for a, b in itertools.combinations(seen, 2)
    }
    closest = min(distances, key=distances.__getitem__)
    assert distances[closest] >= 10, f"{closest} are {distances[closest]:.1f} apart"


def test_entity_colours_are_light_enough_for_the_dark_text_written_on_them():
    for code in entity_colours([*ENTITY_TYPES["en"], *ENTITY_TYPES["zh"]]).values():
        assert _contrast(code, "#111827") >= 4.5, code
