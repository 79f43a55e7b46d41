"""`simulate()`: build the world, run every facility (in worker processes at larger scales) and
write registry, landing files and ground truth under the output directory."""

from __future__ import annotations

import multiprocessing
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hanoi_health_lake.config import ground_truth_dir, landing_dir, registry_path
from hanoi_health_lake.simulator import ground_truth
from hanoi_health_lake.simulator.delivery import silences_for
from hanoi_health_lake.simulator.facility_run import run_facility
from hanoi_health_lake.simulator.ground_truth import Truth
from hanoi_health_lake.simulator.outbreaks import allocate, plan_outbreaks
from hanoi_health_lake.simulator.population import Population
from hanoi_health_lake.simulator.registry import build_registry, registry_csv
from hanoi_health_lake.simulator.scales import MEAN_DAILY_ENCOUNTERS, SCALES
from hanoi_health_lake.simulator.test_keys import LABEL, facility_identities
from hanoi_health_lake.simulator.world import World
from hanoi_health_lake.simulator.xml_delivery import XML_FORMAT, with_xml_share

OUTPUT_DIRS = ("registry", "landing", "ground_truth")
_CHUNKS_PER_WORKER = 40
_job: dict = {}  # what forked workers inherit: the world, outbreak cases, landing root


class OutputExists(Exception):
    """The output directory already holds simulator output and `replace` was not given."""


@dataclass(frozen=True)
class Summary:
    facilities: int
    files: dict[str, int]  # per format
    records: dict[str, int]  # per format
    faults: int
    outbreaks: int


def _prepare_output(out: Path, replace: bool) -> None:
    existing = [out / d for d in OUTPUT_DIRS if (out / d).exists() and any((out / d).iterdir())]
    if existing and not replace:
        raise OutputExists(
            f"{', '.join(map(str, existing))} already exist; pass --replace to overwrite them"
        )
    for d in existing:
        shutil.rmtree(d)


def _run_chunk(codes: list[str]) -> tuple[int, Truth]:
    world: World = _job["world"]
    truth = Truth()
    by_code = {f.code: f for f in world.registry}
    for code in codes:
        identity = _job["identities"].get(code)
        truth.extend(run_facility(world, by_code[code], _job["extra"], _job["landing"], identity))
    return len(codes), truth


def _chunks(world: World, n: int) -> list[list[str]]:
    """Facilities dealt round-robin by expected volume, so chunks take similar time."""
    by_volume = sorted(
        world.registry,
        key=lambda f: (-MEAN_DAILY_ENCOUNTERS[f.facility_type] * f.size, f.code),
    )
    chunks: list[list[str]] = [[] for _ in range(n)]
    for i, f in enumerate(by_volume):
        chunks[i % n].append(f.code)
    return [c for c in chunks if c]


def _write_certificates(registry_dir: Path, registry: list, seed: int) -> dict:
    """Signing identities of the dossier senders; their certificates in `certificates/`."""
    codes = [f.code for f in registry if f.export_format == XML_FORMAT]
    if not codes:
        return {}
    identities = facility_identities(seed, codes)
    certs = registry_dir / "certificates"
    certs.mkdir(parents=True, exist_ok=True)
    (certs / "README.txt").write_text(
        f"{LABEL}.\nCertificates of simulator test keys, made by hhl simulate for its own "
        "dossiers; never real, never to be committed or trusted outside a simulated home.\n",
        encoding="utf-8",
    )
    for code, identity in identities.items():
        (certs / f"{code}.pem").write_bytes(identity.cert_pem)
    return identities


def simulate(
    start: date,
    days: int,
    scale: str,
    seed: int,
    out: Path,
    fault_rate: float = 0.01,
    workers: int | None = None,
    replace: bool = False,
    progress: Callable[[int, int], None] | None = None,
    xml_share: float | None = None,
) -> Summary:
    """Write `registry/`, `landing/` and `ground_truth/` under `out`; the same arguments always
    give byte-identical files, whatever `workers` is. The hospitals whose profile says so
    (`xml_share` None), or `xml_share` of them, send QĐ 130 XML dossiers and check-ins
    (simulator/xml_delivery.py, simulator/checkins.py), signed with simulator test keys whose
    certificates go to `registry/certificates/`."""
    if days < 1:
        raise ValueError("days must be at least 1")
    if not 0 <= fault_rate <= 1:
        raise ValueError("fault_rate must be between 0 and 1")
    sc = SCALES[scale]
    _prepare_output(out, replace)
    registry = with_xml_share(build_registry(sc, seed, start), xml_share)
    population = Population(sc.population, seed, start.year)
    population.prepare()
    world = World(seed, sc, start, days, fault_rate, population, registry)
    outbreaks = plan_outbreaks(world)
    silences = {f.code: silences_for(world, f) for f in registry}
    extra = allocate(world, outbreaks, silences)

    reg_path = registry_path(out)
    reg_path.parent.mkdir(parents=True, exist_ok=True)
    reg_path.write_bytes(registry_csv(registry))
    identities = _write_certificates(reg_path.parent, registry, seed)
    landing = landing_dir(out)
    landing.mkdir(parents=True, exist_ok=True)

    workers = workers or (1 if scale == "tiny" else min(2, os.cpu_count() or 1))
    _job.update(world=world, extra=extra, landing=landing, identities=identities)
    truth = Truth()
    done = 0
    try:
        if workers == 1:
            results = map(_run_chunk, _chunks(world, _CHUNKS_PER_WORKER))
            for n, part in results:
                truth.extend(part)
                done += n
                if progress:
                    progress(done, len(registry))
        else:
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(workers) as pool:
                chunks = _chunks(world, workers * _CHUNKS_PER_WORKER)
                for n, part in pool.imap_unordered(_run_chunk, chunks):
                    truth.extend(part)
                    done += n
                    if progress:
                        progress(done, len(registry))
    finally:
        _job.clear()

    args = {
        "start": start.isoformat(),
        "days": days,
        "scale": scale,
        "seed": seed,
        "fault_rate": fault_rate,
        "xml_share": "profile" if xml_share is None else xml_share,
    }
    gt = ground_truth_dir(out)
    gt.mkdir(parents=True, exist_ok=True)
    for name, data in ground_truth.files(truth, args, [o.manifest() for o in outbreaks]).items():
        (gt / name).write_bytes(data)
    formats = sorted({fmt for fmt, _ in truth.stats})
    return Summary(
        facilities=len(registry),
        files={f: truth.stats[(f, "files")] for f in formats},
        records={f: truth.stats[(f, "records")] for f in formats},
        faults=len(truth.faults),
        outbreaks=len(outbreaks),
    )
