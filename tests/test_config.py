"""Profiles, config files and environment overrides."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from roberta_demo.config import ConfigError, Limits, Settings, parse_settings, settings_from_env, settings_table
from roberta_demo.profiles import TASKS, TaskModels, UnknownCheckpoint, load_profile
from tests.conftest import REPO


def test_default_profile_names_the_real_checkpoints():
    profile = load_profile("default", env={})
    assert profile.models("sentiment").checkpoints == ("cardiffnlp/twitter-roberta-base-sentiment-latest",)
    assert profile.models("emotion").checkpoints == ("j-hartmann/emotion-english-distilroberta-base",)
    assert profile.models("topic").checkpoints == ("cardiffnlp/tweet-topic-21-multi",)
    assert profile.models("ner").checkpoints == ("Jean-Baptiste/roberta-large-ner-english",)
    assert profile.models("attention").checkpoints == ("FacebookAI/roberta-base", "distilbert/distilroberta-base")
    zero_shot = profile.models("zero_shot")
    assert zero_shot.default_for("cpu") == "cross-encoder/nli-distilroberta-base"
    assert zero_shot.default_for("cuda") == "FacebookAI/roberta-large-mnli"
    assert set(zero_shot.checkpoints) == {"cross-encoder/nli-distilroberta-base", "FacebookAI/roberta-large-mnli"}
    assert not profile.untrained


def test_the_distilled_profile_fits_a_free_space_with_real_checkpoints():
    """Real, trained checkpoints (never the tiny ones), a distilled one wherever a task has it, and only one each where
    the default offers a larger one too."""
    default, distilled = load_profile("default", env={}), load_profile("distilled", env={})
    assert not distilled.untrained and distilled.language == "en"
    for task in ("fill_mask", "attention", "fine_tune"):
        assert distilled.models(task).checkpoints == ("distilbert/distilroberta-base",)
    assert distilled.models("zero_shot").checkpoints == ("cross-encoder/nli-distilroberta-base",)
    for task in ("sentiment", "emotion", "topic", "ner"):
        assert distilled.models(task) == default.models(task)
    assert len(distilled.checkpoints()) < len(default.checkpoints())


def test_tiny_profile_is_local_and_marked_untrained(tiny_profile):
    assert tiny_profile.untrained
    assert set(tiny_profile.tasks) == set(TASKS)
    for checkpoint in tiny_profile.checkpoints():
        assert checkpoint.startswith("tiny/")
        assert (Path(tiny_profile.location(checkpoint)) / "config.json").is_file()


def test_config_file_replaces_and_adds_checkpoints(tmp_path: Path):
    config = tmp_path / "models.toml"
    config.write_text(
        'profile = "default"\n'
        "[tasks.sentiment]\n"
        'checkpoints = ["my-org/my-sentiment"]\n'
        "[tasks.ner]\n"
        'add = ["dslim/roberta-ner"]\n'
    )
    profile = load_profile(str(config), env={})
    assert profile.models("sentiment").checkpoints == ("my-org/my-sentiment",)
    assert profile.models("ner").checkpoints == ("Jean-Baptiste/roberta-large-ner-english", "dslim/roberta-ner")
    assert profile.models("emotion").checkpoints == ("j-hartmann/emotion-english-distilroberta-base",)


def test_environment_replaces_and_adds_checkpoints():
    env = {"ROBERTA_DEMO_SENTIMENT_MODELS": "a/one, b/two", "ROBERTA_DEMO_ZERO_SHOT_ADD": "c/nli"}
    profile = load_profile("default", env=env)
    assert profile.models("sentiment").checkpoints == ("a/one", "b/two")
    assert profile.models("zero_shot").checkpoints[-1] == "c/nli"
    assert profile.models("zero_shot").default_for("cuda") == "FacebookAI/roberta-large-mnli"


def test_replacing_zero_shot_drops_a_gpu_default_no_longer_listed():
    profile = load_profile("default", env={"ROBERTA_DEMO_ZERO_SHOT_MODELS": "x/nli"})
    assert profile.models("zero_shot").default_for("cuda") == "x/nli"


@pytest.mark.parametrize("spec", ["nonsense", "/no/such/file.toml"])
def test_unknown_profile_is_a_clear_error(spec):
    with pytest.raises(ConfigError, match=r"default.*tiny"):
        load_profile(spec, env={})


def test_config_file_with_unknown_task_is_a_clear_error(tmp_path: Path):
    config = tmp_path / "bad.toml"
    config.write_text("[tasks.summarise]\ncheckpoints = ['x/y']\n")
    with pytest.raises(ConfigError, match="unknown task 'summarise'"):
        load_profile(str(config), env={})


def test_attention_reuses_a_task_checkpoint_with_the_task_head():
    profile = load_profile(
        "default", env={"ROBERTA_DEMO_ATTENTION_ADD": "cardiffnlp/twitter-roberta-base-sentiment-latest"}
    )
    assert profile.head_of("cardiffnlp/twitter-roberta-base-sentiment-latest") == "sequence-classification"
    assert profile.head_of("FacebookAI/roberta-base") == "masked-lm"  # fill-mask's head; attention reads its encoder
    attention_only = load_profile("default", env={"ROBERTA_DEMO_ATTENTION_ADD": "my-org/encoder"})
    assert attention_only.head_of("my-org/encoder") == "base"


def test_settings_from_environment():
    env = {
        "ROBERTA_DEMO_MODELS": "tiny",
        "ROBERTA_DEMO_DEVICE": "cpu",
        "ROBERTA_DEMO_PORT": "9000",
        "ROBERTA_DEMO_PRELOAD": "true",
        "ROBERTA_DEMO_HOST": "0.0.0.0",
    }
    settings = settings_from_env(env)
    read = (settings.models, settings.device, settings.port, settings.preload, settings.host)
    assert read == ("tiny", "cpu", 9000, True, "0.0.0.0")
    with pytest.raises(ConfigError, match=r"ROBERTA_DEMO_\* setting.*eighty"):
        settings_from_env({"ROBERTA_DEMO_PORT": "eighty"})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ROBERTA_DEMO_SHARE": "maybe"}, "ROBERTA_DEMO_SHARE='maybe': use 1 or 0"),
        ({"ROBERTA_DEMO_QUANTIZE": "int4"}, "use one of none, int8"),
        ({"ROBERTA_DEMO_MAX_CHARS": "0"}, "must be a positive number"),
    ],
)
def test_bad_settings_name_the_variable_and_the_fix(env, message):
    with pytest.raises(ConfigError, match=message):
        settings_from_env(env)


def test_every_limit_reads_its_variable():
    limits = settings_from_env({"ROBERTA_DEMO_MAX_NER_CHARS": "123", "ROBERTA_DEMO_MAX_ATTENTION_TOKENS": "64"}).limits
    assert (limits.max_ner_chars, limits.max_attention_tokens) == (123, 64)
    assert settings_from_env({}) == Settings() and Settings().limits == Limits()


def test_readme_configuration_table_is_the_declared_settings():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert settings_table() in readme, (
        "README.md's configuration table is stale: paste `python -m roberta_demo settings`"
    )
    for name in ("ROBERTA_DEMO_MODELS", "ROBERTA_DEMO_MAX_NER_CHARS", "--max-attention-tokens", "--no-batching"):
        assert name in settings_table()


def test_a_checkpoint_cannot_carry_two_heads():
    env = {"ROBERTA_DEMO_NER_ADD": "cardiffnlp/twitter-roberta-base-sentiment-latest"}
    with pytest.raises(ConfigError, match=r"different heads.*sequence-classification, token-classification"):
        load_profile("default", env=env)


@pytest.mark.parametrize(
    ("env", "mcp"),
    [({}, False), ({"SPACE_ID": "user/roberta"}, True), ({"SPACE_ID": "user/roberta", "ROBERTA_DEMO_MCP": "0"}, False)],
)
def test_the_mcp_server_is_on_by_default_on_spaces_only(env, mcp):
    assert settings_from_env(env).mcp is mcp
    assert parse_settings(["--mcp"], settings_from_env({})).mcp is True


@pytest.mark.parametrize(
    ("env", "warm_up"),
    [
        ({}, False),
        ({"SPACE_ID": "user/roberta"}, True),
        ({"SPACE_ID": "user/roberta", "ROBERTA_DEMO_WARM_UP": "0"}, False),
    ],
)
def test_the_warm_up_is_on_by_default_on_spaces_only(env, warm_up):
    assert settings_from_env(env).warm_up is warm_up
    assert parse_settings(["--warm-up"], settings_from_env({})).warm_up is True


def test_the_device_is_shared_as_configured():
    settings = parse_settings(["--long-share", "0.5", "--slice-ms", "40"], settings_from_env({}))
    assert (settings.long_share, settings.slice_ms) == (0.5, 40)
    assert settings_from_env({"ROBERTA_DEMO_LONG_SHARE": "0.1"}).long_share == 0.1
    with pytest.raises(ConfigError, match="ROBERTA_DEMO_SLICE_MS='-5'"):
        settings_from_env({"ROBERTA_DEMO_SLICE_MS": "-5"})


def test_the_zh_profile_is_the_chinese_roberta_family():
    profile = load_profile("zh", env={})
    assert profile.models("fill_mask").checkpoints == ("hfl/chinese-roberta-wwm-ext",)
    assert profile.models("attention").checkpoints == profile.models("fine_tune").checkpoints
    assert profile.models("ner").checkpoints == ("uer/roberta-base-finetuned-cluener2020-chinese",)
    assert "uer/roberta-base-finetuned-dianping-chinese" in profile.models("sentiment").checkpoints
    assert profile.models("zero_shot").checkpoints == ("joeddav/xlm-roberta-large-xnli",)
    assert profile.models("emotion").checkpoints == ()  # no Chinese emotion model; the mode says so
    with pytest.raises(UnknownCheckpoint, match="Emotion has no model in this profile"):
        profile.checkpoint_for("emotion", None, "cpu")


def test_a_profile_without_an_essential_task_is_refused():
    profile = load_profile("zh", env={})
    broken = replace(profile, tasks={**profile.tasks, "ner": TaskModels("ner", ())})
    with pytest.raises(ConfigError, match="lists no checkpoint for task 'ner'"):
        broken.validate()


def test_a_folder_in_a_config_is_named_not_placed(tmp_path):
    first, second = tmp_path / "a" / "my-roberta", tmp_path / "b" / "my-roberta"
    first.mkdir(parents=True)
    second.mkdir(parents=True)
    env = {"ROBERTA_DEMO_SENTIMENT_MODELS": f"{first},{second}", "ROBERTA_DEMO_EMOTION_ADD": str(first)}
    profile = load_profile("default", env=env)
    assert profile.models("sentiment").checkpoints == ("local/my-roberta", "local/my-roberta-2")
    assert profile.models("emotion").checkpoints[-1] == "local/my-roberta"  # one folder, one name
    assert profile.location("local/my-roberta") == str(first) and profile.location("local/my-roberta-2") == str(second)
    assert profile.location("FacebookAI/roberta-base") == "FacebookAI/roberta-base"
