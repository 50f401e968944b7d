"""The bundled corpus's vectors, shipped beside the code so a first ingest embeds almost nothing.

``ingest/data/bundled-vectors.npz`` holds float16 vectors keyed by the first 16 bytes of the
sha256 of the exact embedded text (embed prefix + newline + text, the chunk's ``embed_hash``),
with the embedding model id and chunker version they were made with. Ingest uses a vector only
when the model and chunker version match and the text's hash is found, and embeds the rest;
a corpus that differs a little still gains for every passage that didn't change.

Regenerate (``make vectors``) from a store built in fp32 without shipped vectors::

    python -m kfqa.ingest.shipped STORE_DIR [--out ingest/data/bundled-vectors.npz]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from kfqa.model_files import EMBED_MODEL_ID

SHIPPED_PATH = Path(__file__).resolve().parent / "data" / "bundled-vectors.npz"
KEY_BYTES = 16


def key_of(embed_hash: str) -> bytes:
    return bytes.fromhex(embed_hash[: KEY_BYTES * 2])


class ShippedVectors:
    def __init__(self, keys: np.ndarray, vectors: np.ndarray, model: str, chunker: str):
        self.model, self.chunker = model, chunker
        self.vectors = vectors
        self.index = {bytes(k): i for i, k in enumerate(keys)}

    def __len__(self) -> int:
        return len(self.index)

    def get(self, embed_hash: str) -> list[float] | None:
        i = self.index.get(key_of(embed_hash))
        return None if i is None else self.vectors[i].astype(np.float32).tolist()

    @classmethod
    def read(cls, path: Path) -> ShippedVectors:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            return cls(data["keys"], data["vectors"], meta["model"], meta["chunker"])

    @classmethod
    def for_ingest(cls, chunker: str, path: Path | None = None) -> tuple[ShippedVectors | None, str]:
        """The shipped vectors usable now, or None and why not ("" when there simply are none).
        ``KFQA_SHIPPED_VECTORS``: another file, or ``none`` to embed everything."""
        setting = os.environ.get("KFQA_SHIPPED_VECTORS", "")
        if setting.lower() == "none":
            return None, ""
        path = Path(setting) if setting else (path or SHIPPED_PATH)
        if not path.is_file():
            return None, ""
        try:
            shipped = cls.read(path)
        except (OSError, ValueError, KeyError) as exc:
            return None, f"{path} is unreadable ({exc}): everything is embedded"
        if shipped.model != EMBED_MODEL_ID or shipped.chunker != chunker:
            return None, (
                f"{path} was made with {shipped.model} / chunker {shipped.chunker}, not {EMBED_MODEL_ID} / "
                f"chunker {chunker}: everything is embedded (regenerate it with `make vectors`)"
            )
        return shipped, ""


def write(path: Path, vectors_by_hash: dict[str, list[float]], chunker: str) -> int:
    """Writes the shipped-vectors file; returns how many vectors it holds."""
    hashes = sorted(vectors_by_hash)
    keys = np.frombuffer(b"".join(key_of(h) for h in hashes), dtype=np.uint8).reshape(len(hashes), KEY_BYTES)
    vectors = np.asarray([vectors_by_hash[h] for h in hashes], dtype=np.float16)
    meta = json.dumps({"model": EMBED_MODEL_ID, "chunker": chunker, "count": len(hashes)})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, keys=keys, vectors=vectors, meta=np.asarray(meta))
    os.replace(tmp, path)
    return len(hashes)


def vectors_of_store(store_dir: Path) -> dict[str, list[float]]:
    """Every committed chunk's vector in a store, by the hash of its embedded text."""
    from kfqa.config import Settings
    from kfqa.ingest.vectors import ChromaRows
    from kfqa.store import Store

    store = Store(Settings(store_dir=store_dir, chroma_host=None, chroma_port=None))
    rows = {row["id"]: row["extra"]["embed_hash"] for row in store.read_rows()}
    got = ChromaRows(store.collection).existing(list(rows), ["embeddings"])
    missing = set(rows) - set(got)
    if missing:
        raise SystemExit(f"{len(missing)} chunks of {store_dir} have no vector: run `kfqa ingest --store {store_dir}` first")
    return {rows[cid]: list(row["embeddings"]) for cid, row in got.items()}


def main(argv: list[str] | None = None) -> None:
    from kfqa.config import apply_runtime_env
    from kfqa.ingest.load import CHUNKER_VERSION

    apply_runtime_env()
    parser = argparse.ArgumentParser(description="Write the shipped vectors of the chunks in a store.")
    parser.add_argument("store", type=Path)
    parser.add_argument("--out", type=Path, default=SHIPPED_PATH)
    args = parser.parse_args(argv)
    n = write(args.out, vectors_of_store(args.store), CHUNKER_VERSION)
    print(f"wrote {n} vectors to {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
