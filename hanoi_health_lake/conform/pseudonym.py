"""patient_key: a keyed hash of the strongest identifier a record carries (docs/lake-tables.md).

`<type>:<normalised value>` is hashed with HMAC-SHA256 under the secret key: `cccd:<12 digits>`,
else `bhyt:<card>`, else `local:<facility>:<patient number>`, else `episode:<facility>:<id>`.
Without the key the hash cannot be recomputed from a guessed citizen id, and a different key
gives unrelated values, so silver from two keys never joins by accident.
"""

from __future__ import annotations

import hashlib
import hmac

import polars as pl

KEY_TYPES = ("cccd", "bhyt", "local", "episode")
MIN_KEY_BYTES = 16


def identity(episode_column: str, *, has_folder: bool = False) -> pl.Expr:
    """The `<type>:<value>` string per row; null when the row carries nothing to key on."""
    cccd = pl.col("citizen_id").str.replace_all(r"\D", "")
    bhyt = (
        pl.col("insurance_number")
        .str.replace_all(r"\s", "")
        .str.to_uppercase()
        .str.split(";")
        .list.first()
    )
    local = pl.col("patient_local_id").str.strip_chars()
    episode = pl.col(episode_column).str.strip_chars()
    facility = (
        pl.coalesce("facility_code", "facility_folder") if has_folder else pl.col("facility_code")
    )
    return (
        pl.when(cccd.str.len_chars() == 12)
        .then(pl.concat_str(pl.lit("cccd:"), cccd))
        .when(bhyt.str.len_chars() > 0)
        .then(pl.concat_str(pl.lit("bhyt:"), bhyt))
        .when(facility.is_not_null() & (local.str.len_chars() > 0))
        .then(pl.concat_str(pl.lit("local:"), facility, pl.lit(":"), local))
        .when(facility.is_not_null() & (episode.str.len_chars() > 0))
        .then(pl.concat_str(pl.lit("episode:"), facility, pl.lit(":"), episode))
    )


class Pseudonymizer:
    """HMAC-SHA256 under a secret key; vectorised over frames, one hash per distinct identity."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the pseudonymisation key must be at least {MIN_KEY_BYTES} bytes")
        self._mac = hmac.new(key, digestmod=hashlib.sha256)

    def digest(self, text: str) -> str:
        mac = self._mac.copy()
        mac.update(text.encode("utf-8"))
        return mac.hexdigest()

    def patient_keys(self, frame: pl.DataFrame, episode_column: str) -> pl.DataFrame:
        """`patient_key` and `patient_key_type` for each row of a frame with person columns."""
        has_folder = "facility_folder" in frame.columns
        ids = frame.select(identity(episode_column, has_folder=has_folder).alias("id"))["id"]
        distinct = ids.drop_nulls().unique().to_list()
        hashed = dict(zip(distinct, map(self.digest, distinct), strict=True))
        return pl.DataFrame(
            {
                "patient_key": ids.replace_strict(hashed, default=None, return_dtype=pl.Utf8),
                "patient_key_type": ids.str.split_exact(":", 1).struct.field("field_0"),
            }
        )

    def patient_key(
        self,
        *,
        citizen_id: str | None = None,
        insurance_number: str | None = None,
        patient_local_id: str | None = None,
        facility_code: str | None = None,
        episode_id: str | None = None,
    ) -> tuple[str | None, str | None]:
        """(patient_key, patient_key_type) for one person; the same rules as `patient_keys`."""
        row = pl.DataFrame(
            {
                "citizen_id": [citizen_id],
                "insurance_number": [insurance_number],
                "patient_local_id": [patient_local_id],
                "facility_code": [facility_code],
                "episode_id": [episode_id],
            },
            schema=dict.fromkeys(
                ("citizen_id", "insurance_number", "patient_local_id", "facility_code",
                 "episode_id"),
                pl.Utf8,
            ),
        )  # fmt: skip
        keys = self.patient_keys(row, "episode_id").row(0)
        return keys[0], keys[1]
