"""Face benchmark (not a test): accuracy and false matches on the real photos in
../shared/data/faces (or tests/data/faces); time per frame (detect + embed) beside bare dlib;
and the whole identification after the frame (the gallery's version read, the search, the
candidate's row) at 10k, 100k and 300k enrolments in a real database, cold (read and decrypt
every enrolment) and warm (the process's gallery), beside bare numpy, in the same run; and the
liveness check's turn measure on real head turns against photos held up and moved about.

    .venv/bin/python bench/face/run.py [--faces DIR] [--sizes 10000,100000,300000]

The enrolments are synthetic (random embeddings, encrypted as enrolment encrypts them) in a
throwaway SQLite database under var/bench/face/.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tongzhou.identity import face  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default = ROOT.parent / "shared" / "data" / "faces"
    parser.add_argument(
        "--faces", type=Path, default=default if default.exists() else ROOT / "tests/data/faces"
    )
    parser.add_argument("--sizes", default="10000,100000,300000")
    args = parser.parse_args()

    people: dict[str, list[Path]] = {}
    for path in sorted(args.faces.rglob("*.jpg")):
        person = path.parent.name if path.parent != args.faces else path.stem.rstrip("0123456789")
        people.setdefault(person, []).append(path)

    embeddings: dict[Path, np.ndarray] = {}
    started = time.perf_counter()
    for paths in people.values():
        for path in paths:
            vector = face.embed(path.read_bytes())
            if vector is not None:
                embeddings[path] = vector
    frames = sum(len(p) for p in people.values())
    per_frame = (time.perf_counter() - started) / max(frames, 1) * 1000

    # Enrol the first photo of each person with 2+ photos; identify with the others.
    enrolled = {
        name: paths[0]
        for name, paths in people.items()
        if len(paths) > 1 and paths[0] in embeddings
    }
    names = list(enrolled)
    gallery = np.stack([embeddings[enrolled[name]] for name in names])
    ids = list(range(len(names)))
    right = wrong = refused = 0
    for name, paths in people.items():
        for path in paths[1:] if name in enrolled else paths:
            if path not in embeddings:
                continue
            match, _why = face.best_match(embeddings[path], ids, gallery)
            if match is None:
                refused += 1
            elif names[match.elder_id] == name:
                right += 1
            else:
                wrong += 1
    same = [float(np.linalg.norm(embeddings[a] - embeddings[b]))
            for paths in people.values() for a, b in itertools.combinations(paths, 2)
            if a in embeddings and b in embeddings]  # fmt: skip
    other = [float(np.linalg.norm(embeddings[a] - embeddings[b]))
             for (n1, p1), (n2, p2) in itertools.combinations(people.items(), 2)
             for a in p1 for b in p2 if a in embeddings and b in embeddings]  # fmt: skip

    print(f"photos: {frames} of {len(people)} people; enrolled: {len(enrolled)}; "
          f"threshold {face.STRICT_DISTANCE}, margin {face.MIN_MARGIN}")  # fmt: skip
    print(f"time per frame (detect + embed): {per_frame:.0f} ms")
    print(f"identifications: {right} right, {wrong} wrong (false matches), {refused} refused "
          f"(includes the never-enrolled face)")  # fmt: skip
    print(f"distances: same person {min(same):.2f}-{max(same):.2f}, "
          f"different people {min(other):.2f}-{max(other):.2f}")  # fmt: skip
    _curve(embeddings, people, enrolled)
    _liveness(people)
    rng = np.random.default_rng(7)
    bare_frame = _bare_dlib_ms([p for paths in people.values() for p in paths])
    print(f"time per frame, bare dlib (the same calls, no platform code): {bare_frame:.0f} ms")
    _identification(rng, [int(n) for n in args.sizes.split(",")])


def _curve(
    embeddings: dict[Path, np.ndarray], people: dict[str, list[Path]], enrolled: dict[str, Path]
) -> None:
    """False rejects (a genuine probe refused or sent elsewhere) and false accepts (a probe
    offered as someone else, the never-enrolled face included) against the threshold, at the
    platform's margin, on the real photos."""
    names = list(enrolled)
    gallery = face.Gallery(
        list(range(len(names))), np.stack([embeddings[enrolled[n]] for n in names])
    )
    probes = [(name, path) for name, paths in people.items() for path in paths
              if path in embeddings and path != enrolled.get(name)]  # fmt: skip
    genuine = sum(1 for name, _ in probes if name in enrolled)
    print(
        f"curve on {len(probes)} probes ({genuine} of enrolled people), margin {face.MIN_MARGIN}:"
    )
    print(f"{'threshold':>10}{'false rejects':>15}{'false accepts':>15}")
    for threshold in (0.40, 0.45, 0.50, 0.55, 0.60, 0.65):
        rejected = accepted = 0
        for name, path in probes:
            match, _why = gallery.search(embeddings[path], threshold=threshold)
            offered = names[match.elder_id] if match else None
            rejected += name in enrolled and offered != name
            accepted += offered is not None and offered != name
        print(f"{threshold:>10.2f}{rejected:>9} of {genuine:<3}{accepted:>9} of {len(probes)}")


def _liveness(people: dict[str, list[Path]]) -> None:
    """The head-turn check's measure on real photos: how far each real head turn moves it
    (a photo of the person looking at the camera against one of them turned), and how far a
    photo held up and moved about (tilted either way, rotated, seen from the side) moves it;
    false passes and false refusals against the threshold; time per frame with landmarks."""
    from PIL import Image

    from tests.photos import moved_about
    from tongzhou.identity import liveness

    examined: dict[Path, face.Frame] = {}
    started = time.perf_counter()
    for paths in people.values():
        for path in paths:
            frame = face.examine(path.read_bytes())
            if frame is not None:
                examined[path] = frame
    per_frame = (time.perf_counter() - started) / max(len(examined), 1) * 1000
    frontal = [p for p, f in examined.items() if abs(f.yaw) <= liveness.FRONTAL]
    real = sorted(
        abs(examined[b].yaw - examined[a].yaw)
        for paths in people.values() for a in paths if a in frontal
        for b in paths if b in examined and abs(examined[b].yaw) > 2 * liveness.FRONTAL
    )  # fmt: skip
    flat = []
    for path in frontal:
        views = [face.examine(_jpeg(view)) for view in moved_about(Image.open(path).convert("RGB"))]
        flat += [abs(v.yaw - examined[path].yaw) for v in views[1:] if v is not None]
    print(f"liveness: time per frame (detect, 68 landmarks, embed): {per_frame:.0f} ms; "
          f"{len(frontal)} photos looking at the camera")  # fmt: skip
    print(
        f"  real head turns ({len(real)} pairs): turn {min(real):.3f}-{max(real):.3f}; "
        f"photos held up and moved ({len(flat)} views): {min(flat):.3f}-{max(flat):.3f}"
    )
    print(f"{'turn needed':>12}{'real turns refused':>20}{'held-up photos passed':>24}")
    for needed in (0.08, 0.10, 0.12, 0.15, 0.18, 0.20):
        refused = sum(turn < needed for turn in real)
        passed = sum(turn >= needed for turn in flat)
        print(f"{needed:>12.2f}{refused:>13} of {len(real):<5}{passed:>15} of {len(flat)}")


def _jpeg(picture: Any) -> bytes:
    import io

    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _bare_dlib_ms(paths: list[Path]) -> float:
    import dlib  # noqa: F401 - the models come loaded through the platform's own loader
    from PIL import Image

    detector, predictor, recogniser = face._models()
    started = time.perf_counter()
    for path in paths:
        picture = np.array(Image.open(path).convert("RGB"))
        boxes = detector(picture, 1)
        if boxes:
            box = max(boxes, key=lambda b: b.width() * b.height())
            recogniser.compute_face_descriptor(picture, predictor(picture, box), 1)
    return (time.perf_counter() - started) / max(len(paths), 1) * 1000


def _identification(rng: np.random.Generator, sizes: list[int]) -> None:
    """The identification after the frame, on a real database of synthetic enrolments."""
    import os

    var = ROOT / "var" / "bench" / "face"
    var.mkdir(parents=True, exist_ok=True)
    database = var / "faces.sqlite3"
    database.unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("TONGZHOU_DEBUG", "1")
    import django

    django.setup()
    from django.core.management import call_command

    from tongzhou.accounts.models import User
    from tongzhou.core import crypto
    from tongzhou.elders.models import Elder
    from tongzhou.geo.models import Region
    from tongzhou.identity import face_services
    from tongzhou.identity.models import FaceEnrolment

    call_command("migrate", verbosity=0)
    call_command("load_zhoushan", stdout=open(os.devnull, "w"))  # noqa: SIM115
    village = Region.objects.get(code="330902002001")
    recorder = User.objects.create(username="bench")
    print(f"{'enrolments':>10}{'cold ms':>10}{'warm ms':>10}{'search ms':>10}"
          f"{'bare numpy ms':>15}{'warm/bare':>10}")  # fmt: skip
    made = 0
    for size in sizes:
        vectors = rng.normal(size=(size - made, face.DIMENSIONS)).astype(np.float32) / 4
        for start in range(0, size - made, 5000):
            chunk = vectors[start : start + 5000]
            elders = Elder.objects.bulk_create(
                Elder(name="长者", gender="F", id_number_encrypted="-",
                      id_number_hash=f"{made + start + i:064x}", id_number_masked="-",
                      birth_date="1945-01-01", residence=village)
                for i in range(len(chunk))
            )  # fmt: skip
            FaceEnrolment.objects.bulk_create(
                FaceEnrolment(elder=elder, consent_method="written", consent_recorded_by=recorder,
                              embedding_encrypted=crypto.encrypt_bytes(face.to_bytes(vector)))
                for elder, vector in zip(elders, chunk, strict=True)
            )  # fmt: skip
        made = size
        gallery_vectors = face_services.city_gallery().vectors  # built once to pick a probe
        probe = gallery_vectors[size // 2] + 0.01
        face_services.clear_gallery()
        started = time.perf_counter()
        face_services.city_gallery()
        cold = (time.perf_counter() - started) * 1000
        runs = 5
        started = time.perf_counter()
        for _ in range(runs):
            match, _why = face_services.city_gallery().search(probe)
            Elder.objects.select_related("face").get(pk=match.elder_id)  # type: ignore[union-attr]
        warm = (time.perf_counter() - started) / runs * 1000
        gallery = face_services.city_gallery()
        started = time.perf_counter()
        for _ in range(runs):
            gallery.search(probe)
        search = (time.perf_counter() - started) / runs * 1000
        started = time.perf_counter()
        for _ in range(runs):
            int(np.argmin(((gallery.vectors - probe) ** 2).sum(axis=1)))
        bare = (time.perf_counter() - started) / runs * 1000
        print(f"{size:>10}{cold:>10.0f}{warm:>10.1f}{search:>10.1f}{bare:>15.1f}"
              f"{warm / bare:>10.2f}")  # fmt: skip
    database.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
