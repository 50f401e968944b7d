"""The systems an eval scores, behind one small interface: ``run(question, k) -> Run``.

- ``kfqa``: ``Assistant.ask`` (answers with citations, or abstains).
- ``bm25`` / ``dense``: kfqa's own chunks, one retriever alone (retrieval only).
- ``llamaindex-default``: SimpleDirectoryReader over the corpus (``sources.json`` left out,
  it is the corpus index, not a source), VectorStoreIndex with its default SentenceSplitter
  (1024/200), the same embedding model (retrieval only). llama-index's own PDF reader
  (llama-index-readers-file) is not installed, so PDFs get a reader that does what its
  PDFReader does: pypdf, one Document per page.
- ``docs-agent-style``: 600-character windows with 60 overlap (a recursive character
  splitter on "\\n\\n", "\\n", ". ", " ", "" as kubeflow/docs-agent's docs pipeline uses),
  dense only, same embedding model. Review threads are rendered as docs-agent's issues
  pipeline renders issues (title, body, then one "Comment by @author" block per comment).

Baseline indexes live outside the user's store, in
``$KFQA_CACHE or user_cache_dir("kfqa")`` / ``baselines/<name>-<corpus-hash>-<config-hash>``,
persisted with ``StorageContext.persist`` and loaded with ``load_index_from_storage``,
so a second ``--compare`` run does not embed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from kfqa.config import cache_root
from kfqa.eval.metrics import Hit, Run
from kfqa.model_files import EMBED_BATCH, EMBED_MODEL_ID

BASELINES = ("llamaindex-default", "docs-agent-style", "bm25", "dense")
CACHE_LAYOUT_VERSION = 1


class System(Protocol):
    name: str
    answers: bool  # False: retrieval metrics only

    def run(self, question: str, k: int) -> Run: ...


# --- kfqa and its own retrievers -------------------------------------------------------------------


class KfqaSystem:
    answers = True

    def __init__(self, assistant: Any, llm: bool = False, name: str = "kfqa"):
        self.assistant, self.llm, self.name = assistant, llm, name

    def run(self, question: str, k: int) -> Run:
        answer = self.assistant.ask(question, k=k, llm=self.llm)
        return Run(
            retrieved=[Hit(r.chunk.meta.source, r.chunk.text) for r in answer.retrieved],
            answer=answer.answer or "",
            abstained=bool(answer.abstained),
            citations={c.n: Hit(c.chunk.meta.source, c.chunk.text) for c in answer.citations},
            generation=answer.generation,
        )


class RetrieverSystem:
    """One of kfqa's retrievers alone (``assistant.retriever.bm25`` / ``.dense``)."""

    answers = False

    def __init__(self, name: str, retrieve: Callable[[str, int], list]):
        self.name, self.retrieve = name, retrieve

    def run(self, question: str, k: int) -> Run:
        return Run(retrieved=[Hit(r.chunk.meta.source, r.chunk.text) for r in self.retrieve(question, k)])


# --- corpus reading for the llama-index baselines -------------------------------------------------


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Every non-hidden file under the corpus root except ``sources.json``, sorted."""
    out = []
    for path in sorted(Path(corpus_dir).rglob("*")):
        rel = path.relative_to(corpus_dir)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts) and rel.as_posix() != "sources.json":
            out.append(path)
    return out


def corpus_hash(corpus_dir: Path) -> str:
    """sha256 over (relative path, file sha256) of every corpus file: any change makes a new cache entry."""
    digest = hashlib.sha256()
    for path in corpus_files(corpus_dir):
        digest.update(path.relative_to(corpus_dir).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def config_hash(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


def _pdf_reader():
    from llama_index.core import Document
    from llama_index.core.readers.base import BaseReader

    class PypdfPageReader(BaseReader):
        """What llama-index-readers-file's PDFReader does: pypdf, one Document per page."""

        def load_data(self, file, extra_info=None, fs=None):  # noqa: ARG002 - llama-index signature
            from pypdf import PdfReader

            reader = PdfReader(str(file))
            docs = []
            for i, page in enumerate(reader.pages, 1):
                meta = {"page_label": str(i), "file_name": Path(file).name, **(extra_info or {})}
                docs.append(Document(text=page.extract_text() or "", metadata=meta))
            return docs

    return PypdfPageReader()


def render_review(thread: dict[str, Any]) -> str:
    """A review thread as docs-agent's issues pipeline renders an issue with its comments."""
    text = f"# {thread.get('title', '')}\n\n"
    for label, key in (("Repository", "repository"), ("URL", "url"), ("State", "state"), ("Created", "created_at")):
        text += f"**{label}:** {thread.get(key, '')}\n"
    text += "\n" + (thread.get("body") or "")
    for comment in thread.get("comments") or []:
        author, created = comment.get("author", "unknown"), (comment.get("created_at") or "")[:10]
        text += f"\n\n---\n**Comment by @{author}** ({created}):\n{comment.get('body') or ''}"
    return text


def read_plain(path: Path) -> str:
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
    if path.suffix == ".json":
        try:
            thread = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            thread = None
        if isinstance(thread, dict) and "comments" in thread:
            return render_review(thread)
    return path.read_text(encoding="utf-8", errors="replace")


def recursive_char_split(text: str, size: int, overlap: int, separators=("\n\n", "\n", ". ", " ", "")) -> list[str]:
    """LangChain's RecursiveCharacterTextSplitter (length = characters, separators dropped at joins)."""

    def merge(splits: list[str], sep: str) -> list[str]:
        docs: list[str] = []
        current: list[str] = []
        total = 0
        for piece in splits:
            n = len(piece)
            if current and total + n + len(sep) > size:
                doc = sep.join(current).strip()
                if doc:
                    docs.append(doc)
                while current and (total > overlap or total + n + len(sep) > size):
                    total -= len(current[0]) + (len(sep) if len(current) > 1 else 0)
                    current.pop(0)
            current.append(piece)
            total += n + (len(sep) if len(current) > 1 else 0)
        doc = sep.join(current).strip()
        if doc:
            docs.append(doc)
        return docs

    def split(text: str, seps: tuple[str, ...]) -> list[str]:
        sep, rest = seps[-1], ()
        for i, s in enumerate(seps):
            if s == "" or s in text:
                sep, rest = s, seps[i + 1 :]
                break
        pieces = text.split(sep) if sep else list(text)
        out: list[str] = []
        good: list[str] = []
        for piece in pieces:
            if len(piece) < size:
                good.append(piece)
                continue
            if good:
                out.extend(merge(good, sep))
                good = []
            out.extend(split(piece, rest) if rest else [piece])
        if good:
            out.extend(merge(good, sep))
        return out

    return split(text, tuple(separators))


# --- the llama-index baselines ----------------------------------------------------------------------


BASELINE_CONFIGS: dict[str, dict[str, Any]] = {
    "llamaindex-default": {
        "reader": "SimpleDirectoryReader(recursive, pdf: pypdf per page)",
        "splitter": "SentenceSplitter",
        "chunk_size": 1024,
        "chunk_overlap": 200,
        "retrieval": "dense",
    },
    "docs-agent-style": {
        "reader": "plain text; reviews rendered as docs-agent issues; pdf via pypdf",
        "splitter": "RecursiveCharacterTextSplitter",
        "chunk_size": 600,
        "chunk_overlap": 60,
        "separators": ["\n\n", "\n", ". ", " ", ""],
        "retrieval": "dense",
    },
}


class LlamaIndexBaseline:
    """A dense VectorStoreIndex over the corpus, cached on disk by corpus hash and configuration."""

    answers = False

    def __init__(self, name: str, corpus_dir: Path, embed_model: Any = None, cache_dir: Path | None = None):
        if name not in BASELINE_CONFIGS:
            raise ValueError(f"unknown baseline {name!r}")
        self.name = name
        self.corpus_dir = Path(corpus_dir).resolve()
        self._embed_model = embed_model
        self.config = {
            **BASELINE_CONFIGS[name],
            "embedding_model": EMBED_MODEL_ID,
            "cache_layout": CACHE_LAYOUT_VERSION,
        }
        self.corpus_hash = corpus_hash(self.corpus_dir)
        root = Path(cache_dir) if cache_dir else cache_root()
        self.path = root / "baselines" / f"{name}-{self.corpus_hash[:16]}-{config_hash(self.config)[:12]}"
        self.index = None
        self.built = False  # True when this process embedded the corpus (cache miss)
        self.embedded = 0  # texts embedded by this process
        self.n_chunks = 0

    @property
    def embed_model(self):
        if self._embed_model is None:
            from kfqa.embedding import get_embed_model

            self._embed_model = get_embed_model()
        return self._embed_model

    def describe(self) -> dict[str, Any]:
        return {**self.config, "cache_dir": str(self.path), "chunks": self.n_chunks, "built_this_run": self.built}

    # -- nodes
    def nodes(self) -> list:
        from llama_index.core.schema import TextNode

        if self.name == "llamaindex-default":
            from llama_index.core import SimpleDirectoryReader
            from llama_index.core.node_parser import SentenceSplitter

            reader = SimpleDirectoryReader(
                input_files=[str(p) for p in corpus_files(self.corpus_dir)],
                file_extractor={".pdf": _pdf_reader()},
            )
            docs = reader.load_data()
            for doc in docs:
                doc.metadata["source"] = Path(doc.metadata["file_path"]).resolve().relative_to(self.corpus_dir).as_posix()
                doc.excluded_embed_metadata_keys = [*doc.excluded_embed_metadata_keys, "source"]
                doc.excluded_llm_metadata_keys = [*doc.excluded_llm_metadata_keys, "source"]
            splitter = SentenceSplitter(chunk_size=self.config["chunk_size"], chunk_overlap=self.config["chunk_overlap"])
            return splitter.get_nodes_from_documents(docs)
        nodes = []
        for path in corpus_files(self.corpus_dir):
            source = path.relative_to(self.corpus_dir).as_posix()
            pieces = recursive_char_split(
                read_plain(path), self.config["chunk_size"], self.config["chunk_overlap"], tuple(self.config["separators"])
            )
            for i, piece in enumerate(pieces):
                nodes.append(
                    TextNode(
                        text=piece,
                        id_=f"{source}#{i}",
                        metadata={"source": source},
                        excluded_embed_metadata_keys=["source"],
                        excluded_llm_metadata_keys=["source"],
                    )
                )
        return nodes

    # -- build / load
    def prepare(self, progress: Any = None) -> None:
        """Load the cached index, or build and persist it (with a progress bar task when given)."""
        from llama_index.core import StorageContext, VectorStoreIndex, load_index_from_storage

        if (self.path / "done.json").is_file():
            storage = StorageContext.from_defaults(persist_dir=str(self.path))
            self.index = load_index_from_storage(storage, embed_model=self.embed_model)
            self.n_chunks = json.loads((self.path / "done.json").read_text())["chunks"]
            return
        from llama_index.core.schema import MetadataMode

        nodes = self.nodes()
        task = progress.add_task(f"embedding {self.name}", total=len(nodes)) if progress is not None else None
        for start in range(0, len(nodes), EMBED_BATCH):
            batch = nodes[start : start + EMBED_BATCH]
            vectors = self.embed_model.get_text_embedding_batch([n.get_content(metadata_mode=MetadataMode.EMBED) for n in batch])
            for node, vector in zip(batch, vectors, strict=True):
                node.embedding = vector
            self.embedded += len(batch)
            if task is not None:
                progress.advance(task, len(batch))
        index = VectorStoreIndex(nodes, embed_model=self.embed_model)
        with _staging(self.path) as tmp:
            index.storage_context.persist(persist_dir=str(tmp))
            (tmp / "done.json").write_text(json.dumps({"chunks": len(nodes), "config": self.config, "corpus_hash": self.corpus_hash}))
        self.index, self.built, self.n_chunks = index, True, len(nodes)

    def run(self, question: str, k: int) -> Run:
        from llama_index.core.schema import MetadataMode

        if self.index is None:
            self.prepare()
        results = self.index.as_retriever(similarity_top_k=k).retrieve(question)
        return Run(
            retrieved=[
                Hit(r.node.metadata.get("source", ""), r.node.get_content(metadata_mode=MetadataMode.NONE)) for r in results
            ]
        )


@contextmanager
def _staging(final: Path) -> Iterator[Path]:
    """Write into a temp folder beside ``final`` and rename it into place: a killed build leaves no half cache."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
        if final.exists():  # another run finished first; its copy is as good as ours
            shutil.rmtree(tmp)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
