"""The pseudonymisation key: from HHL_PSEUDONYM_KEY, else a key file outside the repository.

A newcomer's first `hhl demo` creates `~/.config/hanoi-health-lake/pseudonym.key` (mode 0600) and
says so; production sets HHL_PSEUDONYM_KEY from its secret store.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hanoi_health_lake.config import config_home, ensure_key_file, setting

ENV_KEY = "HHL_PSEUDONYM_KEY"
ENV_KEY_FILE = "HHL_PSEUDONYM_KEY_FILE"


def default_key_file() -> Path:
    return config_home() / "hanoi-health-lake" / "pseudonym.key"


def warn_if_readable(path: Path) -> bool:
    """Warn (stderr) when a key file can be read by its group or others; True if it can."""
    mode = path.stat().st_mode & 0o777
    if not mode & 0o077:
        return False
    print(
        f"warning: the pseudonymisation key file {path} is readable by others (mode "
        f"{mode:04o}); anyone who can read it can link patient keys to citizen ids: "
        f"chmod 600 {path}",
        file=sys.stderr,
    )
    return True


def ensure_pseudonym_key(*, create: bool) -> str:
    """The key: HHL_PSEUDONYM_KEY, else the key file (created when `create`). A caller hands it
    on as the pseudonymizer resource, or to the Dagster processes it starts."""
    if setting(ENV_KEY):
        return setting(ENV_KEY)
    path = Path(setting(ENV_KEY_FILE) or default_key_file())
    missing = RuntimeError(
        f"no pseudonymisation key: set {ENV_KEY}, or {ENV_KEY_FILE} to a key file "
        f"(looked for {path})"
    )
    ensure_key_file(path, "pseudonymisation key", create=create, missing=missing)
    warn_if_readable(path)
    return path.read_text().strip()


def key_source() -> str:
    """Where `ensure_pseudonym_key` takes the key from, in words: every command that reads or
    creates the key says so, since a key from another place gives other patient_keys."""
    if setting(ENV_KEY):
        return f"from {ENV_KEY} (environment)"
    if setting(ENV_KEY_FILE):
        return f"key file {setting(ENV_KEY_FILE)} (from {ENV_KEY_FILE})"
    return (
        f"key file {default_key_file()} (the default; set {ENV_KEY} or {ENV_KEY_FILE} to use "
        "another, e.g. one per HHL_HOME)"
    )
