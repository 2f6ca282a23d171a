"""The data folder holds password hashes (in the SQLite file), invite codes, the JWT secret,
uploads and the index: nothing in it is for other local users to read.

Everything the process creates from here on gets no group or other permissions (umask 077:
files 0600, folders 0700), whichever module creates it (SQLite and its -wal/-shm files, the
blob store, the index, the models' cache). A folder left by an older version is closed too:
the folder itself 0700 (which alone keeps others out of everything inside it) and its
top-level entries 0600/0700; deeper entries are not walked, so a large blob store costs nothing
at start-up.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077

logger = logging.getLogger("taskloom")


def make_private(data_dir: Path) -> None:
    os.umask(PRIVATE_UMASK)
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        entries = list(data_dir.iterdir())
    except OSError as error:  # a deployment that keeps nothing locally may not need it
        logger.warning("the data folder %s is not usable: %s", data_dir, error)
        return
    for path in [data_dir, *entries]:
        _close(path)


def _close(path: Path) -> None:
    try:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode) or not mode & 0o077:
            return
        os.chmod(path, stat.S_IMODE(mode) & 0o700)
    except OSError as error:  # not ours to change (a mounted volume, say): say so, carry on
        logger.warning("could not make %s private: %s", path, error)
