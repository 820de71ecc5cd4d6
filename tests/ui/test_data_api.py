"""The data endpoints, served by the real app on planted checkpoints (answers known in advance) and called with
gradio_client: the documented JSON, with its values checked."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from roberta_demo.config import Settings
from roberta_demo.perf.server import client_for
from roberta_demo.results import unpack_weights
from roberta_demo.tasks import attention as attention_task
from roberta_demo.tasks import classification, neighbours, vectors
from roberta_demo.tasks import explain as explain_task
from roberta_demo.tasks import fill_mask as fill_mask_task
from roberta_demo.tasks import ner as ner_task
from roberta_demo.tasks import sentiment as sentiment_task
from roberta_demo.tasks.common import TaskContext
from roberta_demo.ui.api import ENDPOINTS
from tests.conftest import serve_app
from tests.planted import MLM_LOGITS, planted_probabilities

RUN_KEYS = {"checkpoint", "device", "ms", "truncation"}


@pytest.fixture(scope="module")
def planted_client(planted: TaskContext) -> Iterator[Client]:
    demo, url = serve_app(planted.backend, Settings())
    client = client_for(url)
    yield client
    client.close()
    demo.close()


def _ran_on(result: dict, planted: TaskContext, task: str) -> None:
    assert result["checkpoint"] == planted.checkpoint_for(task) and result["device"] == "cpu"
    assert result["ms"] > 0 and result["truncation"] is None


def test_the_api_lists_the_data_endpoints_and_nothing_of_the_page(planted_client):
    listed = planted_client.view_api(print_info=False, return_format="dict")
    assert sorted(listed["named_endpoints"]) == sorted(f"/{name}" for name in ENDPOINTS)
    assert listed["unnamed_endpoints"] == {}


def test_sentiment_is_every_class_highest_first(planted_client, planted):
    result = planted_client.predict("The weather was great today.", api_name="/sentiment")
    assert set(result) == {"labels", "scores", "multi_label"} | RUN_KEYS
    assert result["labels"][0] == "positive" and result["scores"][0] > 0.99  # the planted word's class
    assert sorted(result["labels"]) == ["negative", "neutral", "positive"] and result["multi_label"] is False
    assert result["scores"] == sorted(result["scores"], reverse=True) and sum(result["scores"]) == pytest.approx(1)
    _ran_on(result, planted, "sentiment")


def test_emotion_mode_and_a_cut_text_say_so(planted_client, planted):
    result = planted_client.predict("I am so happ", "emotion", api_name="/sentiment")
    assert result["labels"][0] == "joy" and len(result["labels"]) == 7
    _ran_on(result, planted, "emotion")
    text = "great " * 1000
    long = planted_client.predict(text, api_name="/sentiment")
    total = planted.count_tokens(planted.checkpoint_for("sentiment"), text)
    assert total > 1000 and long["truncation"] == {"tokens_total": total, "tokens_kept": 512}


def test_sentiment_batch_keeps_the_order_and_counts(planted_client, planted):
    texts = ["a great film", "", "the soup was cold", "I have nothing"]
    result = planted_client.predict(texts, api_name="/sentiment_batch")
    assert [row["text"] for row in result["results"]] == ["a great film", "the soup was cold", "I have nothing"]
    assert [row["label"] for row in result["results"]] == ["positive", "negative", "neutral"]
    assert result["counts"] == {"negative": 1, "neutral": 1, "positive": 1}
    row = result["results"][0]
    assert row["score"] == max(row["scores"].values()) and row["truncated"] is False
    assert result["checkpoint"] == planted.checkpoint_for("sentiment")
    as_lines = planted_client.predict("a great film\n\nthe soup was cold\nI have nothing", api_name="/sentiment_batch")
    assert [row["label"] for row in as_lines["results"]] == ["positive", "negative", "neutral"]


def test_zero_shot_classify_with_labels_as_a_list_or_a_string(planted_client, planted):
    result = planted_client.predict("The match ended late today", ["business", "sports"], api_name="/classify")
    assert result["labels"] == ["sports", "business"] and result["scores"][0] > 0.99
    assert result["multi_label"] is False
    _ran_on(result, planted, "zero_shot")
    several = planted_client.predict("a text", "sports, business", multi_label=True, api_name="/classify")
    assert several["multi_label"] is True and several["labels"][0] == "sports" and several["scores"][1] < 0.01


def test_topic_mode_scores_each_topic_alone(planted_client, planted):
    result = planted_client.predict("live music tonight", mode="topic", api_name="/classify")
    assert result["labels"][0] == "music" and result["multi_label"] is True
    assert len(result["labels"]) == len(planted.labels(planted.checkpoint_for("topic")))
    _ran_on(result, planted, "topic")


def test_ner_spans_slice_the_text(planted_client, planted):
    text = "Zoë said Obama flew to Paris to meet the United team."
    result = planted_client.predict(text, api_name="/ner")
    found = [(e["word"], e["label"], e["start"], e["end"]) for e in result["entities"]]
    assert found == [("Obama", "PER", 9, 14), ("Paris", "LOC", 23, 28), ("United", "ORG", 41, 47)]
    assert all(text[e["start"] : e["end"]] == e["word"] and e["score"] > 0.99 for e in result["entities"])
    assert set(result["types"]) >= {"PER", "LOC", "ORG"}
    _ran_on(result, planted, "ner")


def test_fill_mask_gives_the_planted_probabilities_and_sequences(planted_client, planted):
    tokenizer = planted.backend.model(planted.checkpoint_for("fill_mask")).tokenizer
    ids = {tokenizer.convert_tokens_to_ids(token): logit for token, logit in MLM_LOGITS.items()}
    probability = planted_probabilities(len(tokenizer), ids)
    result = planted_client.predict("It was a <mask> day.", 3, ["he"], api_name="/fill_mask")
    (mask,) = result["masks"]
    assert result["text"][mask["start"] : mask["end"]] == "<mask>"
    assert [p["token"] for p in mask["predictions"]] == ["Ġgood", "Ġthe", "Ġhe"]
    assert mask["predictions"][0]["score"] == pytest.approx(probability[tokenizer.convert_tokens_to_ids("Ġgood")])
    assert mask["predictions"][0]["sequence"] == "It was a good day."
    (candidate,) = mask["candidates"]
    assert candidate["word"] == "he" and candidate["tokens"] == ["Ġhe"] and candidate["rank"] == 3
    assert candidate["score"] == pytest.approx(probability[tokenizer.convert_tokens_to_ids("Ġhe")])
    _ran_on(result, planted, "fill_mask")


def test_fill_mask_at_a_temperature_draws_its_samples(planted_client, planted):
    sampling = fill_mask_task.Sampling(temperature=2.0, samples=3, top_k=2, seed=5)
    expected = fill_mask_task.predict(planted, "It was a <mask> day.", layers=False, sampling=sampling)
    result = planted_client.predict(
        "It was a <mask> day.", temperature=2.0, samples=3, sample_top_k=2, seed=5, api_name="/fill_mask"
    )
    assert result["temperature"] == 2.0 and [s["text"] for s in result["samples"]] == [s.text for s in expected.samples]
    top = result["masks"][0]["predictions"][0]
    assert top["score"] == pytest.approx(expected.masks[0].fillers[0].score, rel=1e-6)


def test_fill_mask_without_a_mask_says_how(planted_client):
    with pytest.raises(AppError, match="Put <mask> where a word should be predicted"):
        planted_client.predict("No mask here.", api_name="/fill_mask")


@pytest.mark.parametrize(
    ("layer", "head", "shape"),
    [(1, 2, "nn"), (1, None, "hnn"), (None, 2, "lnn"), (None, None, "lhnn")],
)
def test_attention_weights_have_the_documented_shape(planted_client, planted, layer, head, shape):
    # The planted sentiment model's queries and keys are zero: every head attends uniformly, 1/n to each token.
    checkpoint = planted.checkpoint_for("sentiment")
    result = planted_client.predict("a great day", None, checkpoint, layer, head, api_name="/attention")
    n = len(result["tokens"])
    assert result["tokens"][0] == "<s>" and result["special"][0] is True and result["pair_start"] is None
    sizes = {"l": result["layers"], "h": result["heads"], "n": n}
    if shape == "lhnn":  # every layer and head comes packed unless asked otherwise
        assert result["weights"]["packing"] == "float16"
        weights = unpack_weights(result["weights"])
        np.testing.assert_allclose(weights, 1 / n, rtol=2**-11)
    else:
        weights = np.asarray(result["weights"])
        np.testing.assert_array_equal(weights, np.round(1 / n, 4))
    assert weights.shape == tuple(sizes[axis] for axis in shape)
    assert (result["layer"], result["head"]) == (layer, head)


@pytest.mark.parametrize(("encoding", "tolerance"), [("float16", 2**-11), ("uint8", 0.5 / 255), ("json", 5e-5)])
def test_every_encoding_gives_back_the_models_weights(client, context, encoding, tolerance):
    """Packed weights, decoded as the docstring says, are the model's own within the encoding's precision:
    float16's (a relative 2^-11), uint8's (half a step of 1/255) or 4 decimals."""
    text = "The animal didn't cross the street because it was too tired."
    expected = attention_task.inspect(context, text).weights
    result = client.predict(text, None, None, None, None, encoding, api_name="/attention")
    sent = result["weights"]
    if encoding == "json":
        np.testing.assert_allclose(np.asarray(sent), expected, rtol=0, atol=tolerance)
        return
    assert (sent["packing"], sent["shape"]) == (encoding, list(expected.shape))
    decoded = np.frombuffer(base64.b64decode(sent["base64"]), sent["dtype"]).reshape(sent["shape"]) * sent["scale"]
    if encoding == "float16":
        np.testing.assert_allclose(decoded, expected, rtol=tolerance, atol=2**-24)  # 2^-24: float16's least step
    else:
        np.testing.assert_allclose(decoded, expected, rtol=0, atol=tolerance)
    np.testing.assert_array_equal(unpack_weights(sent), decoded.astype(np.float32))


@pytest.mark.parametrize("encoding", ["json", "float16"])
def test_embed_gives_back_the_models_vectors_at_the_layer_asked(client, context, encoding):
    texts = ["We sat on the river bank.", "The bank raised its rates.", "Nothing here."]
    expected = vectors.embed(context, texts, word="bank")
    result = client.predict(texts, "bank", "mean", 2, None, "pca", 3, encoding, api_name="/embed")
    assert result["texts"] == texts[:2] and result["missing"] == [{"position": 2, "text": texts[2]}]
    assert (result["layer"], result["layers"], result["word"]) == (2, expected.num_layers, "bank")
    if encoding == "json":
        sent, similarities = np.asarray(result["vectors"]), np.asarray(result["similarities"])
        tolerance = {"rtol": 0, "atol": 5e-5}  # 4 decimals
    else:
        sent, similarities = unpack_weights(result["vectors"]), unpack_weights(result["similarities"])
        tolerance = {"rtol": 2**-10, "atol": 1e-3}  # float16, with values up to a few units
    np.testing.assert_allclose(sent, expected.vectors[2], **tolerance)
    np.testing.assert_allclose(similarities, expected.similarities(2), **tolerance)
    np.testing.assert_allclose(result["projection"], expected.projection[2], atol=5e-5)
    with pytest.raises(AppError, match=f"The model has {expected.num_layers} layers"):
        client.predict(texts, "bank", "mean", expected.num_layers + 1, api_name="/embed")


def test_neighbours_are_the_words_nearest_the_one_picked_in_the_shipped_sentences(client, context):
    texts = ["We sat on the river bank.", "The bank raised its rates."]
    expected = neighbours.neighbours(context, texts, chosen=7, layer=2, k=4)
    result = client.predict(texts, None, 7, 2, 4, "en", None, api_name="/neighbours")
    assert result["query"] == {"word": "bank", "text": texts[1], "start": 4, "end": 8}  # word 7, from 0
    assert (result["layer"], result["reference"], result["searched"]) == (2, "en", expected.searched)
    assert [(row["text"], row["start"], row["cosine"]) for row in result["neighbours"]] == [
        (row.text, row.start, row.cosine) for row in expected.rows
    ]
    assert all(row["text"] in neighbours.reference_texts("en") for row in result["neighbours"])
    with pytest.raises(AppError, match="word from 0 to 10"):
        client.predict(texts, None, 11, api_name="/neighbours")


def test_attention_of_a_pair_marks_the_second_sentence(planted_client):
    result = planted_client.predict("Great movie.", "Terrible ending.", layer=0, head=0, api_name="/attention")
    second = result["pair_start"]
    assert result["tokens"][second - 2 : second] == ["</s>", "</s>"] and result["tokens"][-1] == "</s>"
    np.testing.assert_allclose(np.asarray(result["weights"]).sum(-1), 1.0, atol=5e-4)  # 4 decimals each


def test_explain_names_the_planted_word(planted_client):
    result = planted_client.predict("what a great day at the office", api_name="/explain")
    assert result["target"] == "positive" and result["method"] == "grad_x_input" and result["delta"] is None
    strongest = max(result["words"], key=lambda w: w["attribution"])
    assert strongest["word"] == "great" and strongest["start"] == 7


def test_only_the_first_value_of_each_endpoint_is_required(planted_client):
    listed = planted_client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for name in ENDPOINTS:
        parameters = [p["parameter_name"] for p in listed[f"/{name}"]["parameters"]]
        assert parameters[0] in {"text", "texts", "examples"}
        assert all(p["parameter_has_default"] for p in listed[f"/{name}"]["parameters"][1:]), name


PLAIN = {  # endpoint: (what a client sends, the task called in process on the same values)
    "/classify": (
        ("a match report", "sports, politics"),
        lambda c: classification.classify(c, "a match report", labels="sports, politics"),
    ),
    "/sentiment": (("What a great day.",), lambda c: sentiment_task.classify(c, "What a great day.")),
    "/sentiment_batch": ((["good", "bad"],), lambda c: sentiment_task.classify_many(c, ["good", "bad"])),
    "/ner": (("Angela Merkel in Paris.",), lambda c: ner_task.tag(c, "Angela Merkel in Paris.")),
    "/fill_mask": (
        ("It was a <mask> day.",),
        lambda c: fill_mask_task.predict(c, "It was a <mask> day.", layers=False),
    ),
    "/attention": (("a great day", None, None, 0), lambda c: attention_task.inspect(c, "a great day")),
    "/embed": (
        (["a river bank", "the bank rates"], "bank"),
        lambda c: vectors.embed(c, ["a river bank", "the bank rates"], word="bank"),
    ),
    "/neighbours": (
        (["a river bank", "the bank rates"], "bank"),
        lambda c: neighbours.neighbours(c, ["a river bank", "the bank rates"], word="bank"),
    ),
    "/explain": (("what a great day",), lambda c: explain_task.explain(c, "what a great day")),
}


@pytest.mark.parametrize("endpoint", PLAIN)
def test_each_endpoint_answers_its_results_plain_form(planted_client, planted, endpoint):
    """One shape for every protocol: what a client gets is the result's own `plain()`, nothing mapped on the way
    (the time a run took aside)."""
    sent, task = PLAIN[endpoint]
    result = task(planted)
    expected = result.plain(0) if endpoint == "/attention" else result.plain()
    answered = planted_client.predict(*sent, api_name=endpoint)
    assert _rounded(answered | {"ms": None}) == _rounded(json.loads(json.dumps(expected)) | {"ms": None})


def _rounded(value: object) -> object:
    """`value` with its floats to 5 decimals (the server's and this process's passes may sum in another order)."""
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return value
