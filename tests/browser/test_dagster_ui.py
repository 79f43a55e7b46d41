"""The Dagster UI as a data engineer sees it, in headless Chromium: `hhl serve` on an embedded
instance holding an ingested day; screenshots land in test-artifacts/."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from hanoi_health_lake.assets.ingest import INGEST_ASSETS
from hanoi_health_lake.automation.services import Services, free_port
from hanoi_health_lake.config import PROJECT_ROOT
from hanoi_health_lake.instance import InstanceSettings, instance_yaml, write_instance_yaml
from hanoi_health_lake.resources import LakeResource, PseudonymizerResource
from hanoi_health_lake.simulator.run import simulate

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
DAYS = ["2026-03-01"]  # one ingested day shows the partitions page as well as two would
GROUPS = ["reference", "bronze", "silver", "surveillance", "marts", "reports"]
HHL = [sys.executable, "-m", "hanoi_health_lake.cli"]


@dataclass
class Ui:
    url: str
    serve: subprocess.Popen


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _ingest(home: Path, key: str) -> None:
    """The days' ingest only, on the embedded instance `hhl serve` will show: the UI under test
    should not wait on every other asset of the project."""
    directory = home / "dagster"
    write_instance_yaml(directory, instance_yaml("embedded", InstanceSettings()))
    resources = {
        "lake": LakeResource(home=str(home)),
        "pseudonymizer": PseudonymizerResource(key=key),
    }
    with dg.DagsterInstance.from_config(str(directory)) as instance:
        for day in DAYS:
            result = dg.materialize(
                INGEST_ASSETS, instance=instance, partition_key=day, resources=resources
            )
            assert result.success


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    root = tmp_path_factory.mktemp("ui")
    home = root / "home"
    simulate(date.fromisoformat(DAYS[0]), len(DAYS), "tiny", seed=3, out=home, fault_rate=0.02)
    key = "browser-test-key-0123456789abcdef"
    _ingest(home, key)
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(HHL_HOME=str(home), HHL_PSEUDONYM_KEY=key)
    port = free_port()
    serve = subprocess.Popen(
        [*HHL, "serve", "--port", str(port), "--log-dir", str(root)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        services = Services(url=f"http://127.0.0.1:{port}")
        services.wait_until_ready()
        yield Ui(services.url, serve)
    finally:
        if serve.poll() is None:
            serve.send_signal(signal.SIGINT)
            serve.wait(60)


@pytest.fixture(scope="module")
def page(ui: Ui):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(120_000)
        yield page
        browser.close()


def _shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_the_asset_graph_shows_the_groups(ui: Ui, page):
    page.goto(f"{ui.url}/asset-groups")
    for group in GROUPS:  # a box per group in the graph, beside the group list
        page.get_by_text(group, exact=True).filter(visible=True).nth(1).wait_for()
    page.get_by_text("fetching statuses").first.wait_for(state="detached")
    assert _shot(page, "asset-graph").stat().st_size > 10_000


def test_the_partitions_page_of_a_silver_asset_shows_the_materialised_days(ui: Ui, page):
    page.goto(f"{ui.url}/assets/encounters?view=partitions")
    page.get_by_text(f"Materialized ({len(DAYS)})").wait_for()
    page.get_by_text("Missing (").click()  # hide the missing days: only the ingested stay listed
    for day in DAYS:
        page.get_by_text(day, exact=True).filter(visible=True).first.wait_for()
    assert _shot(page, "encounters-partitions").stat().st_size > 10_000


def test_ctrl_c_stops_the_ui_and_the_daemon(ui: Ui):
    children = _children(ui.serve.pid)
    assert len(children) == 2  # dagster-webserver and dagster-daemon
    ui.serve.send_signal(signal.SIGINT)
    assert ui.serve.wait(90) == 0
    for pid in children:
        assert not Path(f"/proc/{pid}").exists()  # exited and reaped by hhl serve
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", int(ui.url.rsplit(":", 1)[1]))) != 0
