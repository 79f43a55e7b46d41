"""Instance profiles: embedded SQLite by default, production PostgreSQL from the environment."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml

from hanoi_health_lake.config import PROJECT_ROOT
from hanoi_health_lake.instance import (
    PG_FIELDS,
    InstanceSettings,
    MissingConnection,
    ensure_instance_dir,
    instance_yaml,
    write_instance_yaml,
)

SECRET = "s3cret-not-for-disk"
PG_ENV = {**{var: "value" for var in PG_FIELDS.values()}, "HHL_PG_PASSWORD": SECRET}


def test_production_yaml_refers_to_the_connection_by_name_and_never_holds_it():
    text = instance_yaml("production", InstanceSettings(), PG_ENV)
    assert SECRET not in text
    db = yaml.safe_load(text)["storage"]["postgres"]["postgres_db"]
    assert db["password"] == {"env": "HHL_PG_PASSWORD"}
    assert {v["env"] for k, v in db.items() if k != "scheme"} == set(PG_FIELDS.values())


def test_production_yaml_sets_the_queue_and_the_pool_from_settings():
    settings = InstanceSettings.from_env({"HHL_MAX_CONCURRENT_RUNS": "4", "HHL_POOL_LIMIT": "2"})
    config = yaml.safe_load(instance_yaml("production", settings, PG_ENV))
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 4
    assert config["concurrency"]["pools"]["default_limit"] == 2
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    with pytest.raises(ValueError, match="HHL_POOL_LIMIT"):
        InstanceSettings.from_env({"HHL_POOL_LIMIT": "0"})


def test_production_without_a_connection_says_which_variables_are_missing():
    with pytest.raises(MissingConnection, match="HHL_PG_HOST, HHL_PG_DB"):
        instance_yaml("production", InstanceSettings(), {"HHL_PG_USER": "u"})
    with pytest.raises(MissingConnection, match="postgresql\\+psycopg2://"):
        instance_yaml("production", InstanceSettings(), {"HHL_PG_URL": "postgresql://u@h/db"})
    url = {"HHL_PG_URL": "postgresql+psycopg2://u:p@h/db"}
    config = yaml.safe_load(instance_yaml("production", InstanceSettings(), url))
    assert config["storage"]["postgres"] == {"postgres_url": {"env": "HHL_PG_URL"}}


def test_the_deploy_template_is_what_hhl_writes():
    written = instance_yaml("production", InstanceSettings(), PG_ENV)
    assert (PROJECT_ROOT / "deploy" / "dagster.production.yaml").read_text() == written


def test_the_embedded_instance_loads_with_a_queue_of_one_and_no_pool_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    directory = ensure_instance_dir(tmp_path, "embedded")
    assert directory == tmp_path / "dagster"
    with dg.DagsterInstance.from_config(str(directory)) as instance:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == 1
        # a killed `hhl run` must never leave a pool slot taken that blocks the next one
        assert instance.global_op_concurrency_default_limit is None


def test_hhl_rewrites_its_own_yaml_and_leaves_an_operators_alone(tmp_path: Path):
    ours = write_instance_yaml(tmp_path / "a", instance_yaml("embedded", InstanceSettings()))
    ours.write_text(ours.read_text() + "# stale\n")
    write_instance_yaml(tmp_path / "a", instance_yaml("embedded", InstanceSettings()))
    assert "# stale" not in ours.read_text()

    theirs = tmp_path / "b" / "dagster.yaml"
    theirs.parent.mkdir()
    theirs.write_text("telemetry:\n  enabled: true\n")
    write_instance_yaml(tmp_path / "b", instance_yaml("embedded", InstanceSettings()))
    assert theirs.read_text() == "telemetry:\n  enabled: true\n"
