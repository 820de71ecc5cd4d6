"""How the app is assembled: which events run models, and how many at once."""

from __future__ import annotations

from roberta_demo.catalog import Catalog
from roberta_demo.ui.api import ENDPOINTS
from roberta_demo.ui.app import build_app
from roberta_demo.ui.common import FINE_TUNE_WORK, MODEL_WORK


def test_every_model_event_shares_one_group_sized_for_the_device(backend, context):
    catalog = Catalog(backend.profile, backend.device, concurrency=8)
    demo = build_app(catalog, context)
    groups: dict[str, set[str]] = {}
    for block_fn in demo.fns.values():
        groups.setdefault(block_fn.concurrency_id, set()).add(block_fn.api_name or block_fn.name)
        if block_fn.concurrency_id == MODEL_WORK:
            assert block_fn.concurrency_limit == 8
        if getattr(block_fn.fn, "runs_model", False) and block_fn.concurrency_id != FINE_TUNE_WORK:
            # each listener says so itself (`ui.common.model_work`): one that forgot would run outside the group
            assert (block_fn.concurrency_id, block_fn.concurrency_limit) == (MODEL_WORK, 8), block_fn.name
    model_work = groups[MODEL_WORK]
    page = {"classify_page", "sentiment_page", "sentiment_batch_page", "ner_page", "fill_mask_page", "attention_page"}
    page |= {"vectors_page", "masking_page"}
    data = set(ENDPOINTS) - {"fine_tune", "pretrain"}
    tour = {"tour_step", "tour_drawn", "tour_chosen_drawn"}  # each step's view, drawn as the step is entered
    assert page | data | tour | {"explain_one", "explain_entity", "page_figures", "try_view"} <= model_work
    training = {"train_view", "fine_tune", "pretrain_view", "pretrain", "tour_pretrain", "tour_cost"}
    assert groups[FINE_TUNE_WORK] == training
    drawing = {"redraw", "shown", "words_of", "redraw_lens"}  # redraws from a result in hand run no model
    assert not drawing & model_work
