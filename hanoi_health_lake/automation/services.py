"""Start and stop dagster-webserver and dagster-daemon against one instance profile.

`hhl serve` and the production tests share this, so what the tests prove is what operators run.
The instance is opened once before either process starts: on a fresh PostgreSQL database that
creates the schema, which two processes starting together would otherwise race to create.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from hanoi_health_lake.config import PROJECT_ROOT, environment
from hanoi_health_lake.instance import InstanceSettings, ensure_instance_dir
from hanoi_health_lake.pseudonym_key import ENV_KEY, ensure_pseudonym_key, key_source

DEFAULT_TARGET = ["-m", "hanoi_health_lake.definitions", "-a", "defs"]
_LOCATIONS_QUERY = (
    "{ workspaceOrError { __typename ... on Workspace { locationEntries "
    "{ name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }"
)


def workspace_target() -> list[str]:
    """The repo's workspace.yaml in a checkout, else the installed code location module."""
    workspace = PROJECT_ROOT / "workspace.yaml"
    return ["-w", str(workspace)] if workspace.exists() else list(DEFAULT_TARGET)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _script(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found beside {sys.executable} or on PATH")
    return found


def prepare_instance(home: Path, profile: str, settings: InstanceSettings | None = None) -> Path:
    """Write the profile's dagster.yaml, put HHL_HOME, DAGSTER_HOME and the pseudonymisation key
    into this process's environment (the children inherit it) and create the storage schema."""
    from dagster import DagsterInstance

    # The Dagster processes started below read these through their resources' EnvVar.
    os.environ["HHL_HOME"] = str(home)
    source = key_source()
    os.environ[ENV_KEY] = ensure_pseudonym_key(create=profile == "embedded")
    print(f"pseudonymisation key: {source}", file=sys.stderr, flush=True)
    directory = ensure_instance_dir(home, profile, settings)
    os.environ["DAGSTER_HOME"] = str(directory)
    DagsterInstance.from_config(str(directory)).dispose()
    return directory


@dataclass
class Services:
    url: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def graphql(self, query: str, variables: dict | None = None, timeout: float = 30) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
        if answer.get("errors"):
            raise RuntimeError(f"GraphQL errors: {answer['errors']}")
        return answer["data"]

    def exited(self) -> dict[str, int]:
        return {n: p.returncode for n, p in self.processes.items() if p.poll() is not None}

    def wait_until_ready(self, timeout: float = 300) -> None:
        """Until the webserver answers and every code location has loaded (or one fails)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.exited():
                raise RuntimeError(f"exited before the UI was ready: {self.exited()}")
            try:
                entries = self.graphql(_LOCATIONS_QUERY)["workspaceOrError"]["locationEntries"]
            except (urllib.error.URLError, ConnectionError, KeyError, TimeoutError):
                entries = []
            errors = [
                e["locationOrLoadError"]["message"]
                for e in entries
                if e["locationOrLoadError"] and "message" in e["locationOrLoadError"]
            ]
            if errors:
                raise RuntimeError(f"the code location failed to load: {errors[0]}")
            if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.url} not ready after {timeout:.0f} s")
            time.sleep(1)

    def stop(self, timeout: float = 30) -> None:
        """Ask both to shut down (they stop their code servers), then kill what remains."""
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.processes.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def start_services(
    *,
    host: str = "127.0.0.1",
    port: int = 3000,
    target: list[str] | None = None,
    log_dir: Path | None = None,
    env: dict[str, str] | None = None,
) -> Services:
    """Start dagster-webserver and dagster-daemon on the instance in DAGSTER_HOME (see
    `prepare_instance`); each in its own session so Ctrl-C reaches only `hhl serve`, which then
    stops both in order. Output goes to `log_dir`/<name>.log, or to this terminal."""
    target = target or workspace_target()
    commands = {
        "webserver": [_script("dagster-webserver"), "-h", host, "-p", str(port), *target],
        "daemon": [_script("dagster-daemon"), "run", *target],
    }
    services = Services(url=f"http://{host}:{port}")
    for name, command in commands.items():
        out = None
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
            out = (log_dir / f"{name}.log").open("ab")
        services.processes[name] = subprocess.Popen(
            command,
            env=env or dict(environment()),
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        if out is not None:
            out.close()  # the child holds its own copy
    return services
