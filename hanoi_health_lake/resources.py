"""Resources carry every path and secret; values come from the environment, never the repo."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from hanoi_health_lake import config


class LakeResource(dg.ConfigurableResource):
    """Where the landing zone, registry, Delta lake and warehouse live (HHL_HOME)."""

    home: str

    @property
    def root(self) -> Path:
        return Path(self.home).resolve()

    @property
    def landing(self) -> Path:
        return config.landing_dir(self.root)

    @property
    def registry(self) -> Path:
        return config.registry_path(self.root)

    @property
    def lake(self) -> Path:
        return config.lake_dir(self.root)

    def table(self, zone: str, name: str) -> str:
        return str(config.lake_dir(self.root) / zone / name)

    @property
    def warehouse(self) -> Path:
        return config.warehouse_path(self.root)

    @property
    def reports(self) -> Path:
        return config.reports_dir(self.root)


class PseudonymizerResource(dg.ConfigurableResource):
    """The secret key behind patient_key (HMAC-SHA256); from HHL_PSEUDONYM_KEY."""

    key: str

    def key_bytes(self) -> bytes:
        if len(self.key) < 16:
            raise ValueError("HHL_PSEUDONYM_KEY must be at least 16 characters")
        return self.key.encode("utf-8")


class LookupStoreResource(dg.ConfigurableResource):
    """The look-up API's serving store (HHL_LOOKUP_DSN) and citizen-hash key (HHL_LOOKUP_KEY)."""

    dsn: str
    key: str

    def hasher(self):
        from hanoi_health_lake.lookup.citizen_hash import CitizenHasher

        if len(self.key) < 32:
            raise ValueError("HHL_LOOKUP_KEY must be at least 32 characters")
        return CitizenHasher(self.key.encode("utf-8"))


def default_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "lake": LakeResource(home=dg.EnvVar("HHL_HOME")),
        "pseudonymizer": PseudonymizerResource(key=dg.EnvVar("HHL_PSEUDONYM_KEY")),
        "lookup_store": LookupStoreResource(
            dsn=dg.EnvVar("HHL_LOOKUP_DSN"), key=dg.EnvVar("HHL_LOOKUP_KEY")
        ),
    }
