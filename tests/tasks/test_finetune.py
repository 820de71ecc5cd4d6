"""Fine-tuning on the tiny checkpoints: the loss falls, the base model stays, stop and limits hold, downloads load."""

from __future__ import annotations

import threading
import zipfile
from dataclasses import replace

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

from roberta_demo.backend import Backend
from roberta_demo.config import Limits
from roberta_demo.errors import InputError
from roberta_demo.results import FineTuned, TrainingUpdate
from roberta_demo.tasks import finetune, vectors
from roberta_demo.tasks.common import TaskContext
from roberta_demo.tasks.uploads import Upload

SIX = [
    ["great movie", "pos"],
    ["loved it", "pos"],
    ["wonderful acting", "pos"],
    ["terrible film", "neg"],
    ["hated it", "neg"],
    ["awful plot", "neg"],
]
# The tiny models are untrained: they need a bigger step than a pre-trained one to learn six examples quickly.
QUICK = finetune.Recipe(steps=30, learning_rate=3e-3, top_layers_only=False)


@pytest.fixture
def fresh(tiny_profile) -> TaskContext:
    """A backend of its own: fine-tuned models are held per backend."""
    return TaskContext(Backend(tiny_profile, "cpu", max_held_models=2), Limits())


def _run(context, rows=SIX, recipe=QUICK, stop=None, held=None) -> tuple[list[TrainingUpdate], FineTuned]:
    examples = finetune.read_examples(rows, held, context.limits)
    updates = list(finetune.train(context, examples, recipe, stop=stop))
    *steps, result = updates
    assert isinstance(result, FineTuned)
    return steps, result


def test_six_examples_are_learned_and_the_loss_halves(fresh):
    steps, result = _run(fresh)
    assert [u.step for u in steps] == list(range(1, 31))
    losses = result.update.losses
    assert len(losses) == 30 and losses[-1] < losses[0] / 2
    assert all(v.after == v.label for v in result.verdicts if not v.held_out)
    assert result.update.accuracy[-1][1] == 1.0 and result.labels == ["pos", "neg"]


def test_the_shared_base_model_is_unchanged(fresh):
    base = fresh.backend.model(fresh.checkpoint_for("fine_tune")).model
    before = {name: p.detach().clone() for name, p in base.named_parameters()}
    probe = base.base_model(**base_inputs(fresh)).last_hidden_state.detach().clone()
    _run(fresh)
    assert all(torch.equal(before[name], p) for name, p in base.named_parameters())
    assert torch.equal(probe, base.base_model(**base_inputs(fresh)).last_hidden_state)
    assert all(p.grad is None for p in base.parameters())


def test_a_bare_encoder_checkpoint_fine_tunes_too(fresh):
    """A checkpoint listed only for fine-tuning loads without a head (AutoModel, with a random pooler): its encoder
    is carried over all the same, and the pooler is left behind."""
    loaded = fresh.backend.model(fresh.checkpoint_for("fine_tune"))
    bare = AutoModel.from_pretrained(fresh.backend.profile.location(loaded.checkpoint))
    assert any("pooler." in name for name in bare.state_dict())
    copied = finetune.classifier_copy(replace(loaded, model=bare), ["pos", "neg"])
    encoder = copied.model.roberta.state_dict()
    assert all(torch.equal(encoder[name], value) for name, value in bare.state_dict().items() if "pooler." not in name)


def test_a_step_can_report_where_its_time_goes(fresh):
    loaded = fresh.backend.model(fresh.checkpoint_for("fine_tune"))
    model = finetune.classifier_copy(loaded, ["pos", "neg"])
    optimizer, scheduler = finetune.optimizer_for(model, QUICK)
    laps: dict[str, float] = {}
    loss = finetune.training_step(model, optimizer, scheduler, ["great movie", "awful plot"], [0, 1], 16, laps)
    assert loss > 0 and set(laps) == {"forward", "backward", "optimizer"} and all(v > 0 for v in laps.values())


def base_inputs(context):
    tokenizer = context.backend.model(context.checkpoint_for("fine_tune")).tokenizer
    return tokenizer("a probe text for the base model", return_tensors="pt")


def test_stop_ends_the_run_after_the_step_under_way(fresh):
    stop = threading.Event()
    examples = finetune.read_examples(SIX, None, fresh.limits)
    run = finetune.train(fresh, examples, finetune.Recipe(steps=200), stop=stop)
    assert next(run).step == 1 and next(run).step == 2
    stop.set()
    third = next(run)
    assert third.step == 3 and third.finished and str(third.stopped) == "stopped"
    result = next(run)
    assert isinstance(result, FineTuned) and len(result.update.losses) == 3  # kept, after three steps
    assert next(run, None) is None


def test_the_time_limit_stops_training_and_keeps_the_model(fresh):
    hurried = replace(fresh, limits=Limits(max_train_seconds=1))
    examples = finetune.read_examples(SIX, None, hurried.limits)
    run = finetune.train(hurried, examples, finetune.Recipe(steps=500))
    first = next(run)
    updates = [first, *run]
    result = updates[-1]
    assert isinstance(result, FineTuned) and "ROBERTA_DEMO_MAX_TRAIN_SECONDS" in str(result.update.stopped)
    assert len(result.update.losses) < 500 and fresh.backend.held(result.key) is not None


def test_the_downloaded_zip_loads_and_answers_like_the_tab(fresh, tmp_path):
    _, result = _run(fresh)
    archive = finetune.export(fresh, result.key, tmp_path)
    assert [path.name for path in tmp_path.iterdir()] == ["fine-tuned-roberta.zip"]  # nothing else left behind
    with zipfile.ZipFile(archive) as zipped:
        assert "config.json" in zipped.namelist() and "tokenizer.json" in zipped.namelist()
        zipped.extractall(tmp_path / "model")
    loaded = AutoModelForSequenceClassification.from_pretrained(tmp_path / "model").eval()
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "model")
    assert loaded.config.id2label == {0: "pos", 1: "neg"}
    for text in ("a great film", "an awful day"):
        with torch.no_grad():
            probabilities = torch.softmax(loaded(**tokenizer(text, return_tensors="pt")).logits[0], -1)
        expected = finetune.classify(fresh, result.key, text)
        np.testing.assert_allclose(probabilities.numpy(), [expected["pos"], expected["neg"]], atol=1e-5)


def test_held_models_are_bounded_and_freed(fresh):
    keys = [_run(fresh, recipe=finetune.Recipe(steps=2))[1].key for _ in range(3)]
    assert fresh.backend.held(keys[0]) is None  # the oldest went, past two held
    assert fresh.backend.held(keys[1]) is not None and fresh.backend.held(keys[2]) is not None
    with pytest.raises(InputError, match="no fine-tuned model for this page"):
        finetune.classify(fresh, keys[0], "hello")
    fresh.release(keys[2])  # what the page's state does when its session ends
    assert fresh.backend.held(keys[2]) is None


def test_a_session_keeps_one_model_the_last_it_trained(fresh):
    first = _run(fresh, recipe=finetune.Recipe(steps=2), stop=None)[1]
    examples = finetune.read_examples(SIX, None, fresh.limits)
    *_, mine = finetune.train(fresh, examples, finetune.Recipe(steps=2), owner="session-a")
    *_, again = finetune.train(fresh, examples, finetune.Recipe(steps=3), owner="session-a")
    assert isinstance(mine, FineTuned) and isinstance(again, FineTuned)
    assert mine.key == again.key == "session-a" and fresh.backend.held_count == 2
    assert (
        fresh.backend.held("session-a") is not None and fresh.backend.held(first.key) is not None
    )  # a replaced model evicts no one else
    fresh.release("session-a")  # the page closed
    assert fresh.backend.held("session-a") is None and fresh.backend.held_count == 1


def test_attention_before_and_after(fresh):
    _, result = _run(fresh)
    tokens, before, after = finetune.compare_attention(fresh, result.key, "a great film")
    assert tokens[0] == "<s>" and len(tokens) == len(before) == len(after)
    assert before.sum() == pytest.approx(1.0, abs=1e-4) and not np.allclose(before, after)


def test_the_classes_part_in_the_fine_tuned_models_vectors(fresh):
    """The examples' <s> vectors at the last layer: the base model's, then the fine-tuned copy's, where the two
    classes are further apart (between-class distance over within-class spread)."""
    _, result = _run(fresh)
    texts = [verdict.text for verdict in result.verdicts]
    before, after = vectors.before_and_after(fresh, result.key, texts)
    assert before.texts == after.texts == texts and before.pooling == after.pooling == "first"
    assert before.run.checkpoint == after.run.checkpoint == fresh.checkpoint_for("fine_tune")
    labels = np.array([verdict.label for verdict in result.verdicts])

    def separation(embedding) -> float:
        last = embedding.vectors[-1]
        centres = [last[labels == label].mean(axis=0) for label in ("pos", "neg")]
        spread = np.mean(
            [
                np.linalg.norm(last[labels == label] - centre, axis=1).mean()
                for label, centre in zip(("pos", "neg"), centres, strict=True)
            ]
        )
        return float(np.linalg.norm(centres[0] - centres[1]) / spread)

    assert separation(after) > 1.5 * separation(before)
    with pytest.raises(InputError, match="train one first"):
        vectors.before_and_after(fresh, "no-such-key", texts)


def test_held_out_examples_are_measured_apart(fresh):
    held = [["brilliant story", "pos"], ["boring and dull", "neg"]]
    _, result = _run(fresh, held=held)
    assert [v.text for v in result.verdicts if v.held_out] == ["brilliant story", "boring and dull"]
    assert result.update.accuracy[0][2] is not None
    examples = finetune.read_examples(finetune.PRESETS["en"]["Question or statement"], None, fresh.limits)
    assert len(examples.held_out) == 2 and "held out automatically" in str(examples.notes[0])


@pytest.mark.parametrize(
    ("rows", "held", "message"),
    [
        ([], None, "Add some examples first"),
        ([["only one label", "a"], ["still one", "a"]], None, "at least two labels"),
        (SIX, [["new label here", "meh"]], "Held-out label\\(s\\) 'meh' have no training example"),
        ([[f"text {i}", f"l{i % 21}"] for i in range(42)], None, "21 labels; this server accepts at most 20"),
        ([[f"text {i}", f"l{i % 2}"] for i in range(201)], None, "201 examples; this server accepts at most 200"),
    ],
)
def test_unusable_examples_get_clear_messages(fresh, rows, held, message):
    with pytest.raises(InputError, match=message):
        finetune.read_examples(rows, held, fresh.limits)


def test_empty_and_repeated_rows_are_dropped_with_a_note(fresh):
    rows = [*SIX, ["great movie", "pos"], ["", "pos"], ["no label", ""], [None, None]]
    examples = finetune.read_examples(rows, None, fresh.limits)
    assert len(examples.train) + len(examples.held_out) == 6
    assert [str(note) for note in examples.notes[:2]] == [
        "2 row(s) with an empty text or label were left out.",
        "1 repeated row(s) were counted once.",
    ]


def test_a_long_text_is_cut_with_a_note(fresh):
    rows = [*SIX, ["word " * 2000, "pos"]]
    _, result = _run(fresh, rows=rows, recipe=finetune.Recipe(steps=2))
    assert any("longer than 64 tokens" in note for note in map(str, result.notes))


@pytest.mark.parametrize(
    ("recipe", "message"),
    [
        (finetune.Recipe(steps=0), "1 to 500 steps, not 0"),
        (finetune.Recipe(steps=10**6), "1 to 500 steps, not 1000000"),
        (finetune.Recipe(learning_rate=0), "above 0 and at most 0.01"),
        (finetune.Recipe(learning_rate=-1), "above 0 and at most 0.01"),
        (finetune.Recipe(learning_rate=10), "above 0 and at most 0.01"),
        (finetune.Recipe(max_tokens=1000), "8 to 128 tokens"),
    ],
)
def test_bad_settings_get_clear_messages(fresh, recipe, message):
    examples = finetune.read_examples(SIX, None, fresh.limits)
    with pytest.raises(InputError, match=message):
        next(finetune.train(fresh, examples, recipe))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("é,pos\n".encode("latin-1"), "not UTF-8"),
        (b"text,label,extra\na,b,c\n", r'"train.csv", line 2: each row needs two columns'),
        (b"a,pos\n" * 100_000, "accepts at most 200"),
    ],
    ids=["latin-1", "three columns", "100000 rows"],  # not the files themselves: 600 kB in every report
)
def test_bad_csv_files_get_clear_messages(fresh, content, message):
    with pytest.raises(InputError, match=message):
        finetune.read_csv(Upload("train.csv", content), fresh.limits)


def test_a_csv_with_or_without_its_header(fresh):
    assert finetune.read_csv(Upload("a.csv", b"text,label\nhello,a\n\n"), fresh.limits) == [["hello", "a"]]
    assert finetune.read_csv(Upload("b.csv", b'"a, b",x\nc,y\n'), fresh.limits) == [["a, b", "x"], ["c", "y"]]
