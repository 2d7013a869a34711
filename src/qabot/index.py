"""The persisted search index: FAISS vectors for every key of every chunk, BM25, and a manifest.

Layout of the index directory:
    CURRENT          name of the live build directory (replaced atomically)
    build-*/         manifest.json, chunks.json, keys.json, vectors.faiss, lexical/,
                     vocabulary.json, open.json + open.npy (questions asked but not answered)
    .lock            held while a build runs, so two builds never interleave
A build is written to a temporary directory and only then named in CURRENT, so a crash or a kill at
any moment leaves the previous index intact and loadable.

A build is never changed once written, so it is a read-only artifact that any number of replicas
load: loading writes nothing, and the FAISS vectors are memory-mapped (`MMAP`), so replicas on one
host share those pages instead of each holding a copy.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np
from filelock import FileLock

from . import __version__
from .chunk import Chunk, OpenQuestion, Passage
from .corpus import Corpus
from .embedding import Embedder
from .errors import IndexStateError
from .lexical import Lexical
from .parts import Parts
from .query import Vocabulary

# Maps the vectors of flat and HNSW indexes (their IndexFlatCodes storage) instead of reading them:
# faiss >= 1.11. (faiss's IO_FLAG_MMAP maps only inverted lists; a flat index is still read.)
# A mapped index is never added to: builds always make a new one (`new_faiss`).
MMAP = getattr(faiss, "IO_FLAG_MMAP_IFC", 0)
# Beyond this many vectors an exact scan gets slow; HNSW keeps queries fast at ~99% recall.
FLAT_LIMIT = 50_000
LOCK_TIMEOUT = 300.0


@dataclass(frozen=True)
class Manifest:
    qabot_version: str
    model: str
    model_sha256: str
    dim: int
    corpus_digest: str
    chunks: int
    keys: int
    faiss: str
    lexical_scale: float  # median BM25 score of a chunk's own question: scales lexical scores
    created: float


@dataclass(frozen=True)
class Keys:
    """What is embedded: each chunk's question, section+question and every passage."""

    texts: tuple[str, ...]
    chunk: np.ndarray  # chunk position of each key
    passage: np.ndarray  # passage position within the chunk, -1 for question keys

    @classmethod
    def of(cls, chunks: list[Chunk], summary_key: bool = True) -> Keys:
        texts: list[str] = []
        owner: list[int] = []
        passage: list[int] = []
        for i, c in enumerate(chunks):
            own = [(c.question, -1)]
            if not c.is_section:
                own.append((f"{c.section}: {c.question}", -1))
            elif c.title and c.title != c.question:  # a section chunk: an overview of the document
                own.append((f"{c.title}: {c.question}", -1))
                if c.is_overview and summary_key:
                    own.append((f"summary, overview and cheat sheet of {c.title}", -1))
            own += [(p.text, j) for j, p in enumerate(c.passages)]
            for text, j in own:
                texts.append(text)
                owner.append(i)
                passage.append(j)
        return cls(tuple(texts), np.array(owner, dtype=np.int64), np.array(passage, dtype=np.int64))


@dataclass
class Index:
    manifest: Manifest
    chunks: list[Chunk]
    keys: Keys
    vectors: faiss.Index
    lexical: Lexical
    vocabulary: dict  # Vocabulary.to_json(): words, acronyms and abbreviations of the notes
    open: list[OpenQuestion]  # questions the notes ask but do not answer
    open_vectors: np.ndarray  # one row per open question

    def vector(self, key: int) -> np.ndarray:
        return self.vectors.reconstruct(int(key))


def build_index(corpus: Corpus, embedder: Embedder, previous: Index | None = None,
                progress: bool = False, parts: Parts = Parts()) -> Index:
    """Embeds every key, reusing vectors of unchanged texts from `previous` (same model). `parts`:
    the named parts that also shape the index (`aliases` are written into BM25)."""
    chunks = list(corpus.chunks)
    keys = Keys.of(chunks, parts.on("summary_key"))
    asked = [o.question for o in corpus.open]
    cached: dict[str, np.ndarray] = {}
    if previous is not None and previous.manifest.model_sha256 == embedder.checksum \
            and previous.manifest.model == embedder.name and previous.manifest.dim == embedder.dim:
        wanted = {*keys.texts, *asked}
        for i, text in enumerate(previous.keys.texts):
            if text in wanted:
                cached[text] = previous.vector(i)
        cached.update(zip((o.question for o in previous.open), previous.open_vectors))
    todo = [t for t in dict.fromkeys([*keys.texts, *asked]) if t not in cached]
    cached.update(zip(todo, embedder.encode(todo, progress=progress)))
    matrix = np.stack([cached[t] for t in keys.texts]).astype(np.float32)
    open_vectors = np.stack([cached[t] for t in asked]).astype(np.float32) if asked \
        else np.zeros((0, embedder.dim), np.float32)
    vectors = new_faiss(embedder.dim, len(matrix))
    vectors.add(matrix)
    vocabulary = Vocabulary.from_texts(
        (t for c in chunks for t in (c.question, c.section, *(p.text for p in c.passages))),
        titles=[c.question for c in chunks])
    lexical = Lexical.build(chunks, vocabulary.aliases if parts.on("aliases") else None)
    manifest = Manifest(
        qabot_version=__version__, model=embedder.name, model_sha256=embedder.checksum,
        dim=embedder.dim, corpus_digest=corpus.digest, chunks=len(chunks), keys=len(keys.texts),
        faiss=type(vectors).__name__, lexical_scale=_lexical_scale(lexical, chunks),
        created=time.time(),
    )
    return Index(manifest, chunks, keys, vectors, lexical, vocabulary.to_json(),
                 list(corpus.open), open_vectors)


def new_faiss(dim: int, count: int) -> faiss.Index:
    if count <= FLAT_LIMIT:
        return faiss.IndexFlatIP(dim)
    hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 80
    hnsw.hnsw.efSearch = 512  # at least the number of keys a query asks for (Weights.dense_keys)
    return hnsw


def _lexical_scale(lexical: Lexical, chunks: list[Chunk]) -> float:
    step = max(1, len(chunks) // 200)
    own = [float(lexical.scores(c.question)[i]) for i, c in enumerate(chunks) if i % step == 0]
    positive = [s for s in own if s > 0]
    return float(np.median(positive)) if positive else 1.0


def lock(root: Path) -> FileLock:
    root.mkdir(parents=True, exist_ok=True)
    return FileLock(str(root / ".lock"), timeout=LOCK_TIMEOUT)


def save_index(index: Index, root: Path) -> Path:
    """Writes a new build next to the live one, then switches CURRENT to it atomically. A failed write
    (full disk, read-only directory) removes what it wrote and raises OSError."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{uuid.uuid4().hex}"
    pointer = root / f".CURRENT-{uuid.uuid4().hex}"
    build = root / f"build-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    try:
        _write_build(index, tmp)
        os.rename(tmp, build)
        pointer.write_text(build.name)
        os.replace(pointer, root / "CURRENT")
    except Exception as exc:  # faiss and bm25s report a full disk as RuntimeError
        shutil.rmtree(tmp, ignore_errors=True)
        pointer.unlink(missing_ok=True)
        if live_build(root) != build:
            shutil.rmtree(build, ignore_errors=True)
        if isinstance(exc, OSError):
            raise
        raise OSError(f"writing the index failed ({exc})") from exc
    _prune(root, keep={build.name, _previous_name(root, build.name)})
    return build


def _write_build(index: Index, tmp: Path) -> None:
    tmp.mkdir()
    (tmp / "manifest.json").write_text(json.dumps(asdict(index.manifest), indent=1))
    (tmp / "chunks.json").write_text(json.dumps([asdict(c) for c in index.chunks],
                                                ensure_ascii=False))
    (tmp / "keys.json").write_text(json.dumps({
        "texts": list(index.keys.texts), "chunk": index.keys.chunk.tolist(),
        "passage": index.keys.passage.tolist()}, ensure_ascii=False))
    faiss.write_index(index.vectors, str(tmp / "vectors.faiss"))
    index.lexical.save(tmp / "lexical")
    (tmp / "vocabulary.json").write_text(json.dumps(index.vocabulary, ensure_ascii=False))
    (tmp / "open.json").write_text(json.dumps([asdict(o) for o in index.open], ensure_ascii=False))
    np.save(tmp / "open.npy", index.open_vectors)
    _fsync_tree(tmp)


def _previous_name(root: Path, live: str) -> str:
    builds = sorted(p.name for p in root.glob("build-*") if p.name != live)
    return builds[-1] if builds else ""


def _prune(root: Path, keep: set[str]) -> None:
    for path in root.iterdir():
        if path.is_dir() and path.name.startswith(("build-", ".tmp-")) and path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


def _fsync_tree(directory: Path) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            with path.open("rb") as f:
                os.fsync(f.fileno())


def live_build(root: Path) -> Path | None:
    pointer = root / "CURRENT"
    if not pointer.is_file():
        return None
    build = root / pointer.read_text().strip()
    return build if build.is_dir() else None


def read_manifest(root: Path) -> Manifest | None:
    build = live_build(root)
    if build is None:
        return None
    try:
        return Manifest(**json.loads((build / "manifest.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None


def load_index(root: Path) -> Index:
    """Loads and cross-checks the live build; any damage is an IndexStateError, never a crash."""
    build = live_build(root)
    if build is None:
        raise IndexStateError(f"no index in {root}; run `qabot index` to build it")
    try:
        manifest = Manifest(**json.loads((build / "manifest.json").read_text()))
        chunks = [_chunk(d) for d in json.loads((build / "chunks.json").read_text())]
        raw = json.loads((build / "keys.json").read_text())
        keys = Keys(tuple(raw["texts"]), np.array(raw["chunk"], dtype=np.int64),
                    np.array(raw["passage"], dtype=np.int64))
        vectors = faiss.read_index(str(build / "vectors.faiss"), MMAP)
        lexical = Lexical.load(build / "lexical")
        vocabulary = json.loads((build / "vocabulary.json").read_text())
        open_questions = [OpenQuestion(**o) for o in json.loads((build / "open.json").read_text())]
        open_vectors = np.load(build / "open.npy", allow_pickle=False)
    except Exception as exc:  # json, faiss and bm25s each raise their own types on damage
        raise IndexStateError(f"index in {build} is damaged ({type(exc).__name__}: {exc}); "
                              "run `qabot index` to rebuild it") from None
    counts = {len(keys.texts), len(keys.chunk), len(keys.passage), vectors.ntotal, manifest.keys}
    if (len(counts) != 1 or {len(chunks), lexical.size, manifest.chunks} != {len(chunks)}
            or vectors.d != manifest.dim or (len(keys.chunk) and keys.chunk.max() >= len(chunks))
            or open_vectors.shape != (len(open_questions), manifest.dim)):
        raise IndexStateError(f"index in {build} is inconsistent (chunks, keys and vectors "
                              "disagree); run `qabot index` to rebuild it")
    return Index(manifest, chunks, keys, vectors, lexical, vocabulary, open_questions, open_vectors)


def _chunk(d: dict) -> Chunk:
    passages = tuple(Passage(p["text"], tuple(p["lines"]), p["markdown"]) for p in d.pop("passages"))
    return Chunk(**{**d, "lines": tuple(d["lines"])}, passages=passages)
