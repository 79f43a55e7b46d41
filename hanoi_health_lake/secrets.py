"""The pseudonymisation key: from HHL_PSEUDONYM_KEY, else a key file outside the repository.

A newcomer's first `hhl demo` creates `~/.config/hanoi-health-lake/pseudonym.key` (mode 0600) and
says so; production sets HHL_PSEUDONYM_KEY from its secret store.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

ENV_KEY = "HHL_PSEUDONYM_KEY"
ENV_KEY_FILE = "HHL_PSEUDONYM_KEY_FILE"


def default_key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "hanoi-health-lake" / "pseudonym.key"


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
    """Put the key into the environment (where Dagster's EnvVar reads it) and return it."""
    if os.environ.get(ENV_KEY):
        return os.environ[ENV_KEY]
    path = Path(os.environ.get(ENV_KEY_FILE) or default_key_file())
    if not path.exists():
        if not create:
            raise RuntimeError(
                f"no pseudonymisation key: set {ENV_KEY}, or {ENV_KEY_FILE} to a key file "
                f"(looked for {path})"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32) + "\n")
        path.chmod(0o600)
        print(f"created a local pseudonymisation key at {path} (outside the repo)", file=sys.stderr)
    warn_if_readable(path)
    key = path.read_text().strip()
    os.environ[ENV_KEY] = key
    return key


def key_source() -> str:
    """Where `ensure_pseudonym_key` takes the key from, in words: every command that reads or
    creates the key says so, since a key from another place gives other patient_keys."""
    if os.environ.get(ENV_KEY):
        return f"from {ENV_KEY} (environment)"
    if os.environ.get(ENV_KEY_FILE):
        return f"key file {os.environ[ENV_KEY_FILE]} (from {ENV_KEY_FILE})"
    return (
        f"key file {default_key_file()} (the default; set {ENV_KEY} or {ENV_KEY_FILE} to use "
        "another, e.g. one per HHL_HOME)"
    )
