"""Continued pre-training on the tiny checkpoints: the loss on the text falls, the shared base model stays as it
was, the copy is held for its session, and Stop and the limits hold."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
import torch

from roberta_demo.backend import Backend
from roberta_demo.config import Limits
from roberta_demo.errors import InputError
from roberta_demo.results import Pretrained, PretrainUpdate
from roberta_demo.tasks import pretrain
from roberta_demo.tasks.common import TaskContext
from roberta_demo.tasks.finetune import Recipe

# The tiny models are untrained: a bigger step than a pre-trained one's shows learning in a few dozen steps.
QUICK = Recipe(steps=30, learning_rate=3e-3, top_layers_only=False)


@pytest.fixture
def fresh(tiny_profile) -> TaskContext:
    """A backend of its own: the held models are per backend."""
    return TaskContext(Backend(tiny_profile, "cpu", max_held_models=2), Limits())


def _run(context, text=pretrain.EXAMPLE, recipe=QUICK, stop=None, owner=None):
    updates = list(pretrain.pretrain(context, text, recipe, stop=stop, owner=owner))
    *steps, finished = updates
    assert isinstance(finished, Pretrained) and all(isinstance(u, PretrainUpdate) for u in steps)
    return steps, finished


def test_continued_pretraining_lowers_the_loss_on_its_text_and_holds_the_copy(context):
    steps, result = _run(context, owner="session-a")
    assert [u.step for u in steps] == list(range(1, 31)) and steps[-1].finished
    first, last = result.update.checks[0], result.update.checks[-1]
    assert last[0] == 30 and last[1] < first[1] * 0.8  # the loss on the text itself, under one fixed masking
    assert result.key == pretrain.held_key("session-a") and result.sequences[1] >= 1
    plain = result.plain()
    assert plain["after"]["held_out_perplexity"] == pytest.approx(float(torch.tensor(last[2]).exp()), rel=1e-4)
    context.release(result.key)


def test_the_shared_base_model_never_changes(fresh):
    base = fresh.backend.model(fresh.checkpoint_for("fill_mask")).model
    before = {name: tensor.clone() for name, tensor in base.state_dict().items()}
    _, result = _run(fresh)
    after = base.state_dict()
    assert all(torch.equal(before[name], after[name]) for name in before)
    assert not any(parameter.requires_grad for parameter in base.parameters() if parameter.grad is not None)
    trained = fresh.backend.held(result.key).model
    assert not torch.equal(trained.lm_head.dense.weight.cpu(), base.lm_head.dense.weight.cpu())  # the copy moved


def test_the_text_is_cut_into_sequences_with_a_fifth_held_out(backend):
    tokenizer = backend.model(backend.checkpoint_for("fill_mask")).tokenizer
    corpus = pretrain.read_corpus(tokenizer, pretrain.EXAMPLE * 4, 64)
    assert len(corpus.held_out) == round((len(corpus.train) + len(corpus.held_out)) / 5)
    assert all(len(ids) <= 64 for ids in corpus.train_ids + corpus.held_out_ids)
    pieces = [token for ids in corpus.train_ids + corpus.held_out_ids for token in ids[1:-1]]
    assert pieces == tokenizer(pretrain.EXAMPLE * 4, add_special_tokens=False)["input_ids"]  # all of it


def test_stop_ends_the_run_after_the_step_under_way_and_keeps_the_model(fresh):
    stop = threading.Event()
    updates = pretrain.pretrain(fresh, pretrain.EXAMPLE, replace(QUICK, steps=200), stop=stop)
    first = next(updates)
    stop.set()
    rest = list(updates)
    finished = rest[-1]
    assert isinstance(first, PretrainUpdate) and isinstance(finished, Pretrained)
    assert str(finished.update.stopped) == "stopped" and finished.update.step <= 3
    assert fresh.backend.held(finished.key) is not None


@pytest.mark.parametrize(
    ("text", "recipe", "limits", "message"),
    [
        ("a few words", QUICK, Limits(), "needs at least 16"),
        ("word " * 50, QUICK, Limits(max_pretrain_words=40), "ROBERTA_DEMO_MAX_PRETRAIN_WORDS"),
        (pretrain.EXAMPLE, replace(QUICK, steps=0), Limits(), "Train for 1 to"),
        (pretrain.EXAMPLE, replace(QUICK, learning_rate=0.5), Limits(), "learning rate"),
        ("", QUICK, Limits(), "Type or paste"),
    ],
)
def test_bad_input_is_refused_by_name(backend, text, recipe, limits, message):
    with pytest.raises(InputError, match=message):
        list(pretrain.pretrain(TaskContext(backend, limits), text, recipe))


def test_one_step_is_measured_on_a_copy_leaving_the_shared_model_as_it_was(context, backend):
    shared = backend.model(context.checkpoint_for("fill_mask"))
    before = {name: tensor.clone() for name, tensor in shared.model.state_dict().items()}
    cost = pretrain.step_cost(context, "A short paragraph, repeated to fill the batch.", batch=4, tokens=32)
    assert (cost.batch, cost.tokens, cost.checkpoint) == (4, 32, shared.checkpoint)
    assert set(cost.laps) == {"forward", "backward", "optimizer"} and all(lap > 0 for lap in cost.laps.values())
    assert cost.seconds == pytest.approx(sum(cost.laps.values()))
    assert cost.tokens_per_second == pytest.approx(4 * 32 / cost.seconds)
    assert cost.parameters == sum(parameter.numel() for parameter in shared.model.parameters())
    assert all(torch.equal(tensor, before[name]) for name, tensor in shared.model.state_dict().items())


def test_the_measured_step_refuses_an_empty_text(context):
    with pytest.raises(InputError, match="Type or paste some text"):
        pretrain.step_cost(context, " ")
