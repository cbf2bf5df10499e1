"""Face benchmark (not a test): accuracy and false matches on the real photos in
../shared/data/faces (or tests/data/faces), time per frame, and 1:N search time for galleries
of 10k, 100k and 300k embeddings, beside a bare numpy reference measured in the same run.

    .venv/bin/python bench/face/run.py [--faces DIR]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

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
    rng = np.random.default_rng(7)
    print(f"{'gallery':>10}{'best_match ms':>16}{'bare numpy ms':>16}{'ratio':>8}")
    for size in (10_000, 100_000, 300_000):
        vectors = rng.normal(size=(size, face.DIMENSIONS)).astype(np.float32)
        ids = list(range(size))
        probe = vectors[size // 2] + 0.01
        runs = 5
        started = time.perf_counter()
        for _ in range(runs):
            face.best_match(probe, ids, vectors)
        ours = (time.perf_counter() - started) / runs * 1000
        started = time.perf_counter()
        for _ in range(runs):
            int(np.argmin(((vectors - probe) ** 2).sum(axis=1)))
        bare = (time.perf_counter() - started) / runs * 1000
        print(f"{size:>10}{ours:>16.1f}{bare:>16.1f}{ours / bare:>8.2f}")


if __name__ == "__main__":
    main()
