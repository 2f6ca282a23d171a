"""The browser pages' third-party files (GraphiQL's here, the API reference's in
gateway/api_docs/assets.py): fetched from the npm registry at set-up, never committed, never
fetched at run time.

    python -m gateway.graphiql install [DEST]   # all of them; DEST: default_assets_dir()
    python -m gateway.graphiql check [DEST]     # exit 1 when any is missing

`install` downloads the pinned package tarballs with `npm pack` (no dependency tree, no install
scripts), keeps only the browser bundles, and checks each against the sha256 pinned below, so
the bytes served are exactly the ones reviewed here. The same hashes become the page's
Subresource Integrity attributes.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


@dataclass(frozen=True)
class VendorFile:
    """One file served to the browser, taken from a package tarball of the npm registry."""

    package: str
    version: str
    source: str  # inside the tarball's `package/` folder
    name: str  # served and stored under this name, versioned so that it can be cached forever
    sha256: str

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"


# graphiql 3 is the last major with a self-contained UMD bundle (graphql, graphql-ws, CodeMirror
# and its fonts inlined); it needs React 18's UMD builds, which React 19 no longer ships.
# In the order the page loads them.
VENDOR_FILES: tuple[VendorFile, ...] = (
    VendorFile(
        "graphiql",
        "3.8.3",
        "graphiql.min.css",
        "graphiql-3.8.3.min.css",
        "b1868247f8e0502cd869e581f5f3cb55b334862e7f51b1d6cbace11059b9adc2",
    ),
    VendorFile(
        "react",
        "18.3.1",
        "umd/react.production.min.js",
        "react-18.3.1.min.js",
        "d949f1c3687aedadcedac85261865f29b17cd273997e7f6b2bfc53b2f9d4c4dd",
    ),
    VendorFile(
        "react-dom",
        "18.3.1",
        "umd/react-dom.production.min.js",
        "react-dom-18.3.1.min.js",
        "35f4f974f4b2bcd44da73963347f8952e341f83909e4498227d4e26b98f66f0d",
    ),
    VendorFile(
        "graphiql",
        "3.8.3",
        "graphiql.min.js",
        "graphiql-3.8.3.min.js",
        "22faab94067b695e5f7959619fbe686ebcc8955002a0c97d986bcbba4ad4bc2c",
    ),
)


class AssetsMissing(Exception):
    """The files are not installed (or not the pinned ones); the message says how to fix it."""


@dataclass(frozen=True)
class Asset:
    """A static file held in memory, with what its HTTP answer needs."""

    name: str
    body: bytes
    gzipped: bytes
    media_type: str
    sha256: bytes

    @classmethod
    def of(cls, name: str, body: bytes) -> Asset:
        # mtime=0: the same bytes give the same gzip, whatever the day.
        gzipped = gzip.compress(body, compresslevel=6, mtime=0)
        media_type = MEDIA_TYPES[Path(name).suffix]
        return cls(name, body, gzipped, media_type, hashlib.sha256(body).digest())

    @property
    def integrity(self) -> str:
        return "sha256-" + base64.b64encode(self.sha256).decode()

    @property
    def etag(self) -> str:
        return f'"{self.sha256.hex()[:32]}"'


def default_assets_dir() -> Path:
    """Beside the installed code (the venv's `share/`), not in the data folder: the files belong
    to the code's version, like its Python packages, while the data folder is per instance
    (a fresh one per test session, a volume kept across upgrades in production)."""
    return Path(sys.prefix) / "share" / "taskloom-graphiql"


def install_hint(directory: Path) -> str:
    return f"{sys.executable} -m gateway.graphiql install {directory}"


def load(directory: Path, files: Sequence[VendorFile] = VENDOR_FILES) -> list[Asset]:
    """The installed files, checked against their pins, in page order."""
    assets = []
    for file in files:
        path = directory / file.name
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            raise AssetsMissing(
                f"The browser files are not installed: {path} is missing. "
                f"Install them (needs npm, once): {install_hint(directory)}"
            ) from None
        if hashlib.sha256(body).hexdigest() != file.sha256:
            raise AssetsMissing(
                f"{path} is not {file.spec}'s {file.source}. Reinstall: {install_hint(directory)}"
            )
        assets.append(Asset.of(file.name, body))
    return assets


def is_installed(directory: Path, files: Sequence[VendorFile] = VENDOR_FILES) -> bool:
    try:
        load(directory, files)
    except AssetsMissing:
        return False
    return True


def install(
    directory: Path,
    files: Sequence[VendorFile] = VENDOR_FILES,
    *,
    force: bool = False,
    npm: str = "npm",
) -> bool:
    """Installs the files into `directory`; False when they were there already."""
    if not force and is_installed(directory, files):
        return False
    executable = shutil.which(npm)
    if executable is None:
        raise AssetsMissing(f"{npm} is not on PATH: install Node.js and npm to fetch the files")
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="taskloom-graphiql-") as scratch:
        tarballs = _pack(executable, {file.spec for file in files}, Path(scratch))
        for file in files:
            _write(directory / file.name, _member(tarballs[file.spec], file.source), file)
        licences = directory / "licenses"
        licences.mkdir(exist_ok=True)
        for spec, tarball in tarballs.items():
            # The bundles are redistributed, so their licences travel with them.
            (licences / f"{spec.replace('/', '__')}.LICENSE").write_bytes(
                _member(tarball, "LICENSE")
            )
    return True


def _pack(npm: str, specs: Iterable[str], scratch: Path) -> dict[str, Path]:
    command = [npm, "pack", "--ignore-scripts", "--json", "--loglevel=error"]
    result = subprocess.run(
        [*command, "--pack-destination", str(scratch), *sorted(specs)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise AssetsMissing(f"npm pack failed ({result.returncode}): {result.stderr.strip()}")
    packed = json.loads(result.stdout)
    return {f"{entry['name']}@{entry['version']}": scratch / entry["filename"] for entry in packed}


def _member(tarball: Path, source: str) -> bytes:
    with tarfile.open(tarball, "r:gz") as archive:
        try:
            member = archive.extractfile(f"package/{source}")
        except KeyError:
            member = None
        if member is None:
            raise AssetsMissing(f"{tarball.name} has no file package/{source}")
        return member.read()


def _write(path: Path, body: bytes, file: VendorFile) -> None:
    if hashlib.sha256(body).hexdigest() != file.sha256:
        raise AssetsMissing(f"{file.spec}'s {file.source} does not match its pinned sha256")
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(body)
    # A server reading the folder meanwhile sees the old file or the new one, never half.
    os.replace(partial, path)
