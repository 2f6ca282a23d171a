"""Ingestion at real sizes: seconds per MB, chunks per second and the server's memory, for 1, 4
and 16 MB of English text and a 300-page PDF, against the bare embedder in the same run.

Each input goes to a fresh `taskloom serve` (its own data folder): register a user, ingest a
one-paragraph document first (so the model is built and loaded before anything is timed), read
the server's idle RSS, then upload the input and poll it until READY or FAILED while a thread
samples the server's RSS every 0.1 s. Ten seconds into each text's ingestion a second user uploads
a one-paragraph document; its seconds to READY show whether a large upload holds others back.
The text is SciFact's abstracts (title line, abstract, blank line), repeated when the corpus is
shorter than the size. The floor is the embedder the service
builds, in this process, over the chunks of the same text, in the service's batches of 64.
MB means MiB (2**20 bytes).

With `--hostile`, three inputs built to hurt follow: 600 KB of "</" as HTML, a DOCX whose headers
claim 1,000 bytes for a member that inflates to 900 MB, and 1 MB of text without whitespace; each
should end READY or FAILED within 60 s with the server's RSS growing by under 300 MB.

    .venv/bin/python bench/ingest.py [--sizes 1,4,16] [--embedder minilm] [--skip-pdf] [--hostile]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness
from bench.pdf_builder import build_pdf, check_with_pypdf, page_lines
from retrieval import indexing
from retrieval.embedders import Embedder, make_embedder

CORPUS = harness.ROOT.parent / "shared" / "data" / "scifact" / "corpus.jsonl"
MB = 1 << 20
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_PAGES, LINES_PER_PAGE = 300, 40
BATCH = 64  # retrieval.retriever.Retriever's batch_size, as the service builds it
POLL_SECONDS = 0.25
DONE = ("READY", "FAILED")
NEIGHBOUR_DELAY = 10.0  # seconds into the large ingestion before the other user uploads
NEIGHBOUR_TARGET = 30.0
HOSTILE_SECONDS, HOSTILE_GROWTH_MB = 60.0, 300.0


def abstracts() -> list[tuple[str, str]]:
    with CORPUS.open(encoding="utf-8") as lines:
        return [(row["title"], row["text"]) for row in map(json.loads, lines)]


def english_text(size_mb: float) -> tuple[str, float]:
    """At least `size_mb` MB of whole paragraphs, and how many times over the corpus that is."""
    corpus = [f"{title}\n{text}\n\n" for title, text in abstracts()]
    target, parts, total = size_mb * MB, [], 0
    for paragraph in itertools.cycle(corpus):
        if total >= target:
            break
        parts.append(paragraph)
        total += len(paragraph.encode())
    return "".join(parts), len(parts) / len(corpus)


def pdf_document() -> bytes:
    """300 pages of 40 lines of SciFact, checked with pypdf."""
    paragraphs = itertools.chain.from_iterable(itertools.cycle(abstracts()))
    pages = list(itertools.islice(page_lines(paragraphs, LINES_PER_PAGE), PDF_PAGES))
    pdf = build_pdf(pages)
    check_with_pypdf(pdf, pages)
    return pdf


def request(url: str, token: str, data: bytes | None = None, content_type: str = "") -> object:
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=120) as answer:
        return json.loads(answer.read())


def upload(url: str, token: str, title: str, filename: str, media_type: str, data: bytes) -> str:
    boundary = uuid.uuid4().hex
    body = b"".join(
        [
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: {media_type}\r\n\r\n'.encode(),
            data,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    query = urllib.parse.urlencode({"title": title, "description": "bench/ingest.py"})
    document = request(
        f"{url}/api/documents?{query}", token, body, f"multipart/form-data; boundary={boundary}"
    )
    assert isinstance(document, dict)
    return str(document["id"])


def wait_done(url: str, token: str, document_id: str, timeout: float) -> dict[str, object]:
    """The document once READY or FAILED, or as it stands when `timeout` runs out."""
    deadline, next_note = time.monotonic() + timeout, time.monotonic() + 60
    while True:
        document = request(f"{url}/api/documents/{document_id}", token)
        assert isinstance(document, dict)
        if document["status"] in DONE or time.monotonic() > deadline:
            return document
        if time.monotonic() > next_note:
            print(f"    ... {document['status']}, progress {document['progress']:.2f}", flush=True)
            next_note += 60
        time.sleep(POLL_SECONDS)


def chunk_count(url: str, token: str, document_id: str) -> int:
    query = "query($id: ID!) { document(id: $id) { chunkCount } }"
    answer = harness.post_json(
        f"{url}/graphql", {"query": query, "variables": {"id": document_id}}, token
    )
    return int(answer["data"]["document"]["chunkCount"])  # type: ignore[index]


def stack_dump(pid: int) -> None:
    """The server's Python stacks, to see where a slow or stuck ingestion spends its time."""
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if py_spy:
        subprocess.run([py_spy, "dump", "--pid", str(pid)], check=False, timeout=60)


@dataclass(frozen=True)
class Input:
    label: str
    filename: str
    media_type: str
    data: bytes

    @property
    def megabytes(self) -> float:
        return len(self.data) / MB


@dataclass(frozen=True)
class Ingested:
    input: Input
    status: str
    error: object
    seconds: float
    chunks: int
    rss_cold: int  # just after start-up
    rss_idle: int  # after the warm-up document: model loaded, nothing to do
    rss_peak: int
    children_peak: int
    neighbour_seconds: float | None  # another user's one paragraph, uploaded mid-way, to READY


def sign_up(url: str, username: str) -> str:
    user = {"username": username, "name": username.title(), "email": f"{username}@example.com"}
    return str(
        harness.post_json(f"{url}/auth/register", {**user, "password": "bench-ingest"})["token"]
    )


class Neighbour(threading.Thread):
    """Another user who, `NEIGHBOUR_DELAY` s in, uploads one paragraph and times it to READY."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.seconds: float | None = None
        self.token = sign_up(url, "neighbour")
        self._cancel = threading.Event()

    def run(self) -> None:
        if self._cancel.wait(NEIGHBOUR_DELAY):
            return
        started = time.perf_counter()
        data = b"A paragraph of another user's, waiting for its turn.\n"
        document_id = upload(self.url, self.token, "neighbour", "neighbour.txt", "text/plain", data)
        if wait_done(self.url, self.token, document_id, 300)["status"] == "READY":
            self.seconds = time.perf_counter() - started

    def result(self) -> float | None:
        self._cancel.set()
        self.join()
        return self.seconds


def ingest(item: Input, env: dict[str, str], timeout: float) -> Ingested:
    with harness.taskloom_process(env) as server:
        url, cold = server.url, harness.rss_bytes(server.pid)
        token = sign_up(url, "bench")
        neighbour = Neighbour(url) if item.media_type == "text/plain" else None
        warm_up = upload(url, token, "warm-up", "warm-up.txt", "text/plain", b"One paragraph.\n")
        warm = wait_done(url, token, warm_up, 300)
        if warm["status"] != "READY":
            raise SystemExit(f"the warm-up document did not become READY: {warm}")
        time.sleep(1)
        idle = harness.rss_bytes(server.pid)
        with harness.PeakRss(server.pid) as memory:
            started = time.perf_counter()
            document_id = upload(url, token, item.label, item.filename, item.media_type, item.data)
            if neighbour:
                neighbour.start()
            document = wait_done(url, token, document_id, timeout)
            seconds = time.perf_counter() - started
            neighbour_seconds = neighbour.result() if neighbour else None
        status = str(document["status"])
        if status not in DONE:
            status = f"TIMEOUT at {status} {float(document['progress']):.2f}"  # type: ignore[arg-type]
        if status != "READY":
            print(
                f"    {item.label}: {status}: {document.get('error')}; server stacks:", flush=True
            )
            stack_dump(server.pid)
        chunks = chunk_count(url, token, document_id)
        return Ingested(
            item, status, document.get("error"), seconds, chunks, cold, idle, memory.peak,
            memory.children_peak, neighbour_seconds,
        )  # fmt: skip


def make_bench_embedder(name: str, folder: Path) -> Embedder:
    """The embedder `gateway.services.build_embedder` makes for this name."""
    if name == "minilm":
        return make_embedder("minilm", cache_dir=folder / "models")
    return make_embedder(name)


def embedding_inputs(embedder: Embedder, text: str, title: str) -> list[str]:
    """What the service embeds for this text: each chunk's embedding input, in order."""
    chunks = indexing.prepare_chunks(text, title, token_spans=indexing.token_spans_of(embedder))
    return [chunk.embedding_input for chunk in chunks]


async def floor(name: str, text: str, title: str) -> tuple[int, float, float]:
    """Chunks, seconds to chunk them in this process, and the bare embedder's chunks per second."""
    with tempfile.TemporaryDirectory() as folder:
        embedder = make_bench_embedder(name, Path(folder))
        await embedder.embed_documents(["warm-up: the model is built and loaded first"])
        started = time.perf_counter()
        inputs = embedding_inputs(embedder, text, title)
        chunking = time.perf_counter() - started
        started = time.perf_counter()
        for begin in range(0, len(inputs), BATCH):
            await embedder.embed_documents(inputs[begin : begin + BATCH])
        return len(inputs), chunking, len(inputs) / (time.perf_counter() - started)


def hostile_inputs() -> list[Input]:
    from tests.retrieval.documents import write_lying_zip_bomb_docx

    with tempfile.TemporaryDirectory() as folder:
        bomb = write_lying_zip_bomb_docx(Path(folder) / "bomb.docx", 900 * MB, 1000).read_bytes()
    return [
        Input('HTML of "</" x 300,000', "tags.html", "text/html", b"</" * 300_000),
        Input("DOCX claiming 1 KB, 900 MB", "bomb.docx", DOCX_TYPE, bomb),
        Input("1 MB without whitespace", "solid.txt", "text/plain", b"a" * MB),
    ]


def report_hostile(results: list[Ingested]) -> None:
    print("\nInputs built to hurt:")
    for r in results:
        growth = (r.rss_peak - r.rss_idle) / MB
        holds = r.status in DONE and r.seconds <= HOSTILE_SECONDS and growth < HOSTILE_GROWTH_MB
        print(
            f"  {'holds' if holds else 'FAILS'}: {r.input.label}: {r.status} in {r.seconds:.1f} s, "
            f"RSS growth {growth:.0f} MB, children's peak {r.children_peak / MB:.0f} MB"
            f" (error: {r.error})"
        )


def text_title(size: float) -> str:
    return f"SciFact abstracts, {size:g} MB"


def neighbour_label(result: Ingested) -> str:
    if result.input.media_type != "text/plain":
        return "-"
    if result.neighbour_seconds is None:
        return "never" if result.seconds > NEIGHBOUR_DELAY else "-"
    return f"{result.neighbour_seconds:.1f}"


def report(results: list[Ingested], floor_rate: float, text_count: int) -> None:
    print(
        f"\n{'input':<26}{'MB':>6}{'seconds':>9}{'s/MB':>7}{'chunks':>8}{'chunks/s':>10}"
        f"{'floor/svc':>10}{'RSS idle':>10}{'RSS peak':>10}{'growth':>8}{'children':>10}"
        f"{'other s':>9}  status"
    )
    for r in results:
        rate = r.chunks / r.seconds
        print(
            f"{r.input.label:<26}{r.input.megabytes:6.2f}{r.seconds:9.1f}"
            f"{r.seconds / r.input.megabytes:7.1f}{r.chunks:8}{rate:10.1f}"
            f"{floor_rate / rate if rate else float('inf'):10.2f}"
            f"{r.rss_idle / MB:10.0f}{r.rss_peak / MB:10.0f}{(r.rss_peak - r.rss_idle) / MB:8.0f}"
            f"{r.children_peak / MB:10.0f}{neighbour_label(r):>9}  {r.status}"
        )
    print(
        "(RSS in MB; children: peak of the summed RSS of the server's child processes;\n"
        f" other s: another user's one paragraph, uploaded {NEIGHBOUR_DELAY:g} s in, to READY)"
    )
    texts = [r for r in results[:text_count] if r.status == "READY"]
    if len(texts) < 2 or len(texts) < text_count:
        print("\nThe targets need every text size READY (and two sizes at least).")
        return
    smallest, largest = texts[0], texts[-1]
    linear = (largest.seconds / largest.input.megabytes) / (
        smallest.seconds / smallest.input.megabytes
    )
    overhead = max(floor_rate / (r.chunks / r.seconds) for r in texts)
    growth = (largest.rss_peak - largest.rss_idle) / MB
    print(f"\ns/MB, {largest.input.label} over {smallest.input.label}: {linear:.2f}x")
    targets = [
        (f"s/MB {largest.input.label} vs {smallest.input.label} within 1.3x", linear, 1.3),
        ("chunks/s within 1.25x of the bare embedder (worst text size)", overhead, 1.25),
        (f"peak RSS growth at {largest.input.label} at most 300 MB", growth, 300),
        (
            f"another user's paragraph READY within {NEIGHBOUR_TARGET:g} s during "
            f"{largest.input.label}",
            largest.neighbour_seconds if largest.neighbour_seconds is not None else float("inf"),
            NEIGHBOUR_TARGET,
        ),
    ]
    for name, value, limit in targets:
        print(f"  {'holds' if value <= limit else 'FAILS'}: {name} ({value:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,4,16", help="text sizes in MB, comma-separated")
    parser.add_argument("--embedder", default="minilm", choices=("minilm", "wordllama"))
    parser.add_argument("--skip-pdf", action="store_true")
    parser.add_argument("--seconds-per-mb", type=float, default=90, help="timeout per MB")
    parser.add_argument("--hostile", action="store_true", help="the three inputs built to hurt")
    args = parser.parse_args()
    sizes = sorted(float(size) for size in args.sizes.split(","))
    env = {"TASKLOOM_EMBEDDER": args.embedder}
    corpus = abstracts()
    corpus_mb = sum(len(f"{title}\n{text}\n\n".encode()) for title, text in corpus) / MB
    print(f"corpus: {len(corpus):,} SciFact abstracts, {corpus_mb:.2f} MB of text")
    inputs = []
    for size in sizes:
        text, passes = english_text(size)
        note = f" (the corpus repeated: {passes:.2f} times over)" if passes > 1 else ""
        print(f"text of {size:g} MB: {len(text.encode()) / MB:.2f} MB{note}")
        inputs.append(
            Input(text_title(size), f"scifact-{size:g}mb.txt", "text/plain", text.encode())
        )
    if not args.skip_pdf:
        pdf = pdf_document()
        print(f"PDF: {PDF_PAGES} pages, {len(pdf) / MB:.2f} MB, pypdf extracts every page's text")
        inputs.append(Input(f"PDF, {PDF_PAGES} pages", "scifact.pdf", "application/pdf", pdf))

    hostile = hostile_inputs() if args.hostile else []

    base_size = min(sizes[0], 1.0)
    base_text = english_text(base_size)[0]
    base_title = text_title(base_size)
    chunks, chunking, before = asyncio.run(floor(args.embedder, base_text, base_title))
    print(
        f"floor ({args.embedder}, {base_size:g} MB text, batches of {BATCH}): {chunks} chunks "
        f"(chunked in {chunking:.1f} s in this process), {before:.1f} chunks/s"
    )
    results = []
    for item in inputs:
        print(f"  ingesting {item.label} ...", flush=True)
        results.append(ingest(item, env, 120 + args.seconds_per_mb * item.megabytes))
    hostile_results = []
    for item in hostile:
        print(f"  ingesting {item.label} ...", flush=True)
        hostile_results.append(ingest(item, env, 2 * HOSTILE_SECONDS))
    after = asyncio.run(floor(args.embedder, base_text, base_title))[2]
    floor_rate = max(before, after)  # the machine is shared: the faster run is the floor
    print(f"floor again after the runs: {after:.1f} chunks/s; the floor is {floor_rate:.1f}")
    if results[0].input.label == base_title and results[0].chunks != chunks:
        print(f"NOTE: the service cut {results[0].chunks} chunks, this process {chunks}")
    report(results, floor_rate, len(sizes))
    if hostile_results:
        report_hostile(hostile_results)


if __name__ == "__main__":
    main()
