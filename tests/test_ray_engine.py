"""The Ray engine against the local one: the same answers for every task, fine-tuning as a Ray task, errors that
reach a person as clear messages, a replica killed under load, and the app served on Ray.

All of it on a real local Ray instance (the `ray_engine` fixture) with the tiny checkpoints.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from roberta_demo.config import ConfigError, Limits, Settings, settings_from_env
from roberta_demo.errors import EngineError, InputError, ModelLoadError
from roberta_demo.perf.server import client_for, free_port
from roberta_demo.profiles import TaskModels
from roberta_demo.results import FineTuned, RunInfo, TrainingUpdate
from roberta_demo.tasks import attention, classification, explain, facts, fill_mask, finetune, formula, ner, sentiment
from roberta_demo.tasks.common import TaskContext
from roberta_demo.ui.common import MODEL_WORK
from tests.conftest import require_ray
from tests.waiting import HANG, wait_until

SIX = [
    ["a wonderful film", "good"],
    ["great acting and story", "good"],
    ["I loved every minute", "good"],
    ["a boring mess", "bad"],
    ["dull and far too long", "bad"],
    ["I hated it", "bad"],
]
TEXT = "Angela Merkel visited Paris and loved the <mask> there."

TASKS: dict[str, Callable[[TaskContext], Any]] = {
    "sentiment": lambda c: sentiment.classify(c, "I love this film!"),
    "emotion": lambda c: sentiment.classify(c, "I love this film!", mode="emotion"),
    "sentiment_many": lambda c: sentiment.classify_many(c, ["Great.", "Awful.", "Fine, I guess."]),
    "zero_shot": lambda c: classification.zero_shot(c, "The match ended 2-1.", "sport, politics, cooking"),
    "topic": lambda c: classification.topic(c, "The match ended 2-1."),
    "ner": lambda c: ner.tag(c, "Angela Merkel visited Paris."),
    "fill_mask": lambda c: fill_mask.predict(c, TEXT, top_k=5, candidates="city, food"),
    "attention": lambda c: attention.inspect(c, "The cat sat on the mat.", merge_words=True),
    "formula": lambda c: formula.capture(c, "The cat sat on the mat.", layer=1),
    "facts": lambda c: facts.describe(c),
    "explain": lambda c: explain.explain(c, "I love this film!", method="integrated_gradients", steps=8),
    "explain_ner": lambda c: explain.explain(c, "Angela Merkel visited Paris.", task="ner"),
}


# Quantities that a replica's other torch thread count (sums taken in another order) moves more than float32
# rounding: Integrated Gradients' convergence residual and its ratio to a small difference, and a word's rank among
# near-tied probabilities. Each gets a tolerance that fits what it is.
RESIDUALS = {"delta": 1e-4, "relative_delta": 1e-3}


def _near_rank(a: int, b: int) -> bool:
    return abs(a - b) <= max(1, round(0.01 * max(a, b)))


def _same(a: Any, b: Any, path: str = "result") -> None:
    """Equal results, but for the time a run took; floats to float32 rounding (two processes, one set of weights)."""
    name = path.rsplit(".", 1)[-1]
    if isinstance(a, float) and name in RESIDUALS:
        assert a == pytest.approx(b, abs=RESIDUALS[name]), path
        return
    if isinstance(a, int) and name == "rank":
        assert _near_rank(a, b), path
        return
    if isinstance(a, RunInfo):
        a, b = replace(a, seconds=0.0), replace(b, seconds=0.0)
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), path
        for item in dataclasses.fields(a):
            _same(getattr(a, item.name), getattr(b, item.name), f"{path}.{item.name}")
    elif isinstance(a, np.ndarray):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=path)
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-5, abs=1e-6), path
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{index}]")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            _same(a[key], b[key], f"{path}[{key!r}]")
    else:
        assert a == b, path


@pytest.fixture(scope="module")
def on_ray(ray_engine) -> TaskContext:
    return TaskContext(ray_engine, Limits())


@pytest.fixture(scope="module")
def in_process(backend) -> TaskContext:
    return TaskContext(backend, Limits())


@pytest.mark.parametrize("task", TASKS)
def test_every_task_answers_the_same_on_both_engines(task, on_ray, in_process):
    answer = TASKS[task](on_ray)
    _same(answer, TASKS[task](in_process))
    run = getattr(answer, "run", None)
    assert run is None or run.device == "cpu"  # where the replica ran it, reported back


def test_a_replica_batches_single_texts_that_arrive_together(on_ray):
    texts = [f"text number {i}" for i in range(16)]
    with_threads: list[Any] = [None] * len(texts)

    def classify(index: int) -> None:
        with_threads[index] = sentiment.classify(on_ray, texts[index])

    threads = [threading.Thread(target=classify, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=HANG)
    alone = sentiment.classify_many(on_ray, texts)
    for answer, row in zip(with_threads, alone.rows, strict=True):  # batched or not, each text keeps its answer
        assert dict(zip(answer.labels, answer.scores, strict=True)) == pytest.approx(row.scores, abs=1e-5)


def test_input_errors_come_back_as_they_were_raised(on_ray):
    with pytest.raises(InputError, match="layer from 0 to 3") as caught:
        formula.capture(on_ray, "The cat sat.", layer=7)  # raised inside the replica
    assert "Traceback" not in str(caught.value) and "ray" not in str(caught.value).lower()


def test_only_configured_checkpoints_are_deployed(on_ray):
    with pytest.raises(InputError, match="not configured"):
        sentiment.classify(on_ray, "hello", checkpoint="FacebookAI/roberta-base")


def test_a_checkpoint_that_fails_to_load_affects_only_its_task(ray_engine, tmp_path):
    from roberta_demo.ray_engine import RayEngine

    tasks = dict(ray_engine.profile.tasks)
    tasks["emotion"] = TaskModels("emotion", (str(tmp_path / "missing-emotion"),))
    profile = replace(ray_engine.profile, tasks=tasks)
    engine = RayEngine(profile, replace(ray_engine.options, held_models=1))
    try:
        context = TaskContext(engine, Limits())
        for _ in range(2):  # and again: the replica tries to load it again on the next request
            with pytest.raises(ModelLoadError, match="missing-emotion"):
                sentiment.classify(context, "I love it", mode="emotion")
        assert sentiment.classify(context, "I love it").labels
    finally:
        engine.close()


# -- fine-tuning as a Ray task ---------------------------------------------------------------------------------------


def test_fine_tuning_runs_as_a_ray_task_and_the_model_serves_its_session(on_ray, tmp_path):
    examples = finetune.read_examples(SIX, None, on_ray.limits)
    updates = list(finetune.train(on_ray, examples, finetune.Recipe(steps=6, batch_size=4), owner="session-ray"))
    *steps, result = updates
    assert [u.step for u in steps] == [1, 2, 3, 4, 5, 6] and all(isinstance(u, TrainingUpdate) for u in steps)
    assert isinstance(result, FineTuned) and result.key == "session-ray" and result.labels == ["good", "bad"]
    scores = finetune.classify(on_ray, "session-ray", "a wonderful film")
    assert set(scores) == {"good", "bad"} and sum(scores.values()) == pytest.approx(1.0)
    tokens, before, after = finetune.compare_attention(on_ray, "session-ray", "a wonderful film")
    assert tokens[0] == "<s>" and before.shape == after.shape == (len(tokens),)
    archive = finetune.export(on_ray, "session-ray", tmp_path)
    assert "config.json" in zipfile.ZipFile(archive).namelist()
    on_ray.release("session-ray")
    with pytest.raises(InputError, match="train one first"):
        finetune.classify(on_ray, "session-ray", "a wonderful film")


def test_stop_reaches_the_ray_task_and_the_model_is_kept(on_ray):
    stop = threading.Event()
    examples = finetune.read_examples(SIX, None, on_ray.limits)
    run = finetune.train(on_ray, examples, finetune.Recipe(steps=300), stop=stop, owner="session-stop")
    assert next(run).step == 1
    stop.set()
    *rest, result = list(run)
    assert str(rest[-1].stopped) == "stopped" and isinstance(result, FineTuned)
    assert len(result.update.losses) < 10  # the task saw the switch within a step or two, not after 300
    assert finetune.classify(on_ray, "session-stop", "I hated it")
    on_ray.release("session-stop")


def test_a_run_nobody_reads_is_cancelled(on_ray):
    examples = finetune.read_examples(SIX, None, on_ray.limits)
    run = finetune.train(on_ray, examples, finetune.Recipe(steps=300), owner="session-gone")
    assert next(run).step == 1
    run.close()  # the page closed: the task is cancelled, and no model is held for it
    wait_until(lambda: on_ray.backend.runs_under_way() == 0, "Ray to end the cancelled task")
    with pytest.raises(InputError, match="train one first"):
        finetune.classify(on_ray, "session-gone", "I hated it")


# -- a replica dies ------------------------------------------------------------------------------------------------


def _replica_name(engine, task: str) -> str:
    """The Ray actor of the task's replica, asked from a thread of its own: Serve will not block a thread that runs
    an event loop, as the browser tests' Playwright leaves the main thread doing."""
    from ray import serve

    from roberta_demo.ray_engine import app_name

    handle = serve.get_app_handle(app_name(engine.checkpoint_for(task)))
    with ThreadPoolExecutor(1) as pool:
        return str(pool.submit(lambda: handle.actor_name.remote().result(timeout_s=60)).result())


def test_a_killed_replica_is_restarted_and_only_requests_in_flight_fail(ray_engine, on_ray):
    import ray

    clients, runs, stop = 4, [], threading.Event()  # runs: (sent, answered, outcome)
    lock = threading.Lock()
    texts = [f"review number {i}: the plot was thin but the acting was fine" for i in range(300)]
    sentiment.classify_many(on_ray, texts)  # deployed and loaded before the clients start

    def client() -> None:
        while not stop.is_set():
            sent = time.monotonic()
            try:  # a request long enough (tens of ms) that some are running when the replica dies
                sentiment.classify_many(on_ray, texts)
                outcome = "ok"
            except EngineError as exc:
                outcome = str(exc)
            with lock:
                runs.append((sent, time.monotonic(), outcome))

    def answered_since(moment: float) -> int:
        with lock:
            return sum(1 for sent, _, outcome in runs if sent > moment and outcome == "ok")

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: answered_since(0) >= 8, "the clients' first answers")
        victim = _replica_name(ray_engine, "sentiment")
        killed = time.monotonic()
        ray.kill(ray.get_actor(victim, namespace="serve"), no_restart=True)  # Serve, not Ray, starts the new one
        wait_until(lambda: answered_since(killed) >= 20, "the new replica to answer a run of requests")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=HANG)
    in_flight = [run for run in runs if run[0] < killed < run[1]]
    failed = [run for run in runs if run[2] != "ok"]
    print(f"\n{len(failed)} of {len(runs)} requests failed, {len(in_flight)} were in flight: {failed[:1]}")
    assert in_flight and all(run in in_flight for run in failed)  # none sent after the kill failed
    assert all("Ray restarts it; try again" in outcome for _, _, outcome in failed)
    assert answered_since(killed) >= 20
    assert _replica_name(ray_engine, "sentiment") != victim  # a new replica answers


# -- settings and the app ------------------------------------------------------------------------------------------


def test_the_engine_and_replicas_are_settings():
    require_ray()
    from roberta_demo.ray_engine import RayOptions

    settings = settings_from_env(
        {"ROBERTA_DEMO_ENGINE": "ray", "ROBERTA_DEMO_RAY_REPLICAS": "2-5", "ROBERTA_DEMO_RAY_GPUS": "0.25"}
    )
    options = RayOptions.from_settings(settings)
    assert settings.engine == "ray" and (options.min_replicas, options.max_replicas, options.gpus) == (2, 5, 0.25)
    assert options.scaling()["autoscaling_config"]["max_replicas"] == 5
    assert RayOptions.from_settings(replace(settings, ray_replicas="3")).scaling() == {"num_replicas": 3}
    for wrong in ("0", "4-2", "two", "1-"):
        with pytest.raises(ConfigError, match="ROBERTA_DEMO_RAY_REPLICAS"):
            RayOptions.from_settings(replace(settings, ray_replicas=wrong))
    with pytest.raises(ConfigError, match="ROBERTA_DEMO_ENGINE"):
        settings_from_env({"ROBERTA_DEMO_ENGINE": "spark"})


def test_the_app_serves_its_endpoints_from_ray(ray_engine):
    """`create_app` with `--engine ray`: the same app, its model work on the replicas the fixture deployed."""
    from roberta_demo.cli import create_app, launch

    settings = Settings(models="tiny", engine="ray", ray_replicas="1", ray_cpus=0.1, host="127.0.0.1", port=free_port())
    demo, engine = create_app(settings)
    assert type(engine).__name__ == "RayEngine" and engine.concurrency == 16  # a batch for its one replica
    model_events = [fn for fn in demo.fns.values() if fn.concurrency_id == MODEL_WORK]
    assert model_events and all(fn.concurrency_limit == 16 for fn in model_events)
    _, url, _ = launch(demo, settings, prevent_thread_lock=True, quiet=True)
    client = client_for(url)
    try:
        answer = client.predict("I love this film!", api_name="/sentiment")
        assert answer["labels"] and answer["device"] == "cpu"
        assert client.predict("Angela Merkel visited Paris.", api_name="/ner")["entities"] is not None
        assert len(client.predict("The <mask> sat.", api_name="/fill_mask")["masks"]) == 1
        assert client.predict("The cat sat.", api_name="/attention")["tokens"][0] == "<s>"
        assert client.predict("I love it.", api_name="/explain")["words"]
        with pytest.raises(Exception, match="Type or paste some text first"):
            client.predict("", api_name="/sentiment")
        table = {"headers": ["text", "label"], "data": SIX}
        tuned = client.predict(table, None, None, 3, api_name="/fine_tune")
        assert len(tuned["losses"]) == 3 and tuned["predictions"]
    finally:
        client.close()
        demo.close()
        engine.close()


def test_a_model_crosses_processes_whole(backend):
    """What the Ray engine sends between processes (a fine-tuned model) comes back able to do everything."""
    import pickle

    model = backend.apply(
        backend.checkpoint_for("fine_tune"), functools.partial(finetune.classifier_copy, labels=["a", "b"])
    )
    model.model.eval()  # as training leaves it: no dropout
    finetune._rollout_from_first(model, "a first pass records attention")  # leaves transformers' hooks behind
    copy = pickle.loads(pickle.dumps(model))
    _, weights = finetune._rollout_from_first(copy, "a probe")
    np.testing.assert_allclose(weights, finetune._rollout_from_first(model, "a probe")[1], rtol=1e-6)
    assert finetune._classify_held(copy, "a probe") == pytest.approx(finetune._classify_held(model, "a probe"))


def test_errors_for_a_person_cross_processes_whole():
    import pickle

    for error in (InputError("Type or paste some text first."), ModelLoadError("ckpt", "Model ckpt is missing.")):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error)
    assert pickle.loads(pickle.dumps(ModelLoadError("ckpt", "gone"))).checkpoint == "ckpt"


def test_preload_deploys_every_checkpoint_and_says_so(ray_engine):
    said: list[str] = []
    assert ray_engine.preload(said.append) == {}
    checkpoints = ray_engine.profile.checkpoints()
    assert len(said) == len(checkpoints) and all(c in line for c, line in zip(checkpoints, said, strict=True))


def test_the_ray_engine_without_ray_says_what_to_install(monkeypatch):
    import sys

    from roberta_demo.cli import make_engine

    monkeypatch.setitem(sys.modules, "ray", None)  # as where requirements-ray.txt is not installed
    monkeypatch.delitem(sys.modules, "roberta_demo.ray_engine", raising=False)
    with pytest.raises(ConfigError, match=r"requirements-ray\.txt"):
        make_engine(Settings(models="tiny", engine="ray"))
