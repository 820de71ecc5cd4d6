"""Backends on planted checkpoints whose right answers are known in advance (see tests/planted.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from roberta_demo.backend import Backend
from roberta_demo.config import Limits, TaskModels
from roberta_demo.tasks.common import TaskContext
from tests.planted import plant_masked_lm, plant_sequence_classifier, plant_token_classifier

SENTIMENT_WORDS = {"great": "positive", "cold": "negative", "nothing": "neutral"}
EMOTION_WORDS = {"disgust": "disgust", "happ": "joy"}
NLI_WORDS = {"sports": "entailment", "business": "contradiction"}
TOPIC_WORDS = {"sports": "sports", "music": "music"}
NER_WORDS = {"Paris": "LOC", "Obama": "PER", "United": "ORG"}
# The masked LM's logits: "good" is its first choice everywhere; "he" after a space (Ġhe) is likelier than at the
# start of a text (he).
MLM_LOGITS = {"Ġgood": 9.0, "Ġthe": 7.0, "Ġhe": 5.0, "he": 2.0}


@pytest.fixture(scope="session")
def planted(tiny_profile, tmp_path_factory) -> TaskContext:
    root = tmp_path_factory.mktemp("planted")

    def source(task: str):
        return tiny_profile.models(task).checkpoints[0]

    checkpoints = {
        "sentiment": plant_sequence_classifier(source("sentiment"), root / "sentiment", SENTIMENT_WORDS),
        "emotion": plant_sequence_classifier(source("emotion"), root / "emotion", EMOTION_WORDS),
        "zero_shot": plant_sequence_classifier(source("zero_shot"), root / "nli", NLI_WORDS),
        "topic": plant_sequence_classifier(source("topic"), root / "topic", TOPIC_WORDS),
        "ner": plant_token_classifier(source("ner"), root / "ner", NER_WORDS),
        "fill_mask": plant_masked_lm(source("fill_mask"), root / "mlm", MLM_LOGITS),
    }
    tasks = dict(tiny_profile.tasks)
    for task, path in checkpoints.items():
        tasks[task] = TaskModels(task, (str(path),))
    return TaskContext(Backend(replace(tiny_profile, name="planted", tasks=tasks), "cpu"), Limits())
