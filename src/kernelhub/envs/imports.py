"""Which distribution provides an import name: ``sklearn`` is scikit-learn, ``cv2`` opencv.

People say the name they import; pip wants the project's. Installed distributions tell from
their files (``top_level.txt``, else the top-level names in ``RECORD``), read only when a
name is asked for; :data:`KNOWN` covers the famous mismatches for packages installed nowhere.
Nothing is imported.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from kernelhub.envs.model import Environment
from kernelhub.envs.packages import normalize, site_packages

__all__ = ["KNOWN", "providers_of"]

#: Import name -> the distribution people mean, for names that differ from the project's.
KNOWN: dict[str, str] = {
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "cv2": "opencv-python",
    "PIL": "pillow",
    "yaml": "pyyaml",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "jwt": "pyjwt",
    "serial": "pyserial",
    "usb": "pyusb",
    "Crypto": "pycryptodome",
    "OpenSSL": "pyopenssl",
    "google.protobuf": "protobuf",
    "attr": "attrs",
    "magic": "python-magic",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "fitz": "pymupdf",
    "git": "gitpython",
    "zmq": "pyzmq",
    "win32api": "pywin32",
    "wx": "wxpython",
    "gi": "pygobject",
    "cairo": "pycairo",
    "MySQLdb": "mysqlclient",
    "psycopg2": "psycopg2-binary",
    "Levenshtein": "python-levenshtein",
    "jose": "python-jose",
    "multipart": "python-multipart",
    "telegram": "python-telegram-bot",
    "osgeo": "gdal",
    "mpl_toolkits": "matplotlib",
    "tensorflow_hub": "tensorflow-hub",
}
_LIMIT = 4 * 1024 * 1024


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(_LIMIT)
    except OSError:
        return None


def _top_level(dist: str) -> set[str]:
    """The importable top-level names a ``*.dist-info`` (or ``*.egg-info``) installs."""
    text = _read(os.path.join(dist, "top_level.txt"))
    if text is not None:
        return {line.strip() for line in text.splitlines() if line.strip()}
    names: set[str] = set()
    for line in (_read(os.path.join(dist, "RECORD")) or "").splitlines():
        path = line.split(",", 1)[0].strip().strip('"')
        head, sep, rest = path.partition("/")
        if not head or head.endswith((".dist-info", ".data")) or head.startswith(".."):
            continue
        if sep:
            if rest.endswith((".py", ".so", ".pyd")) or "/" in rest:
                names.add(head)
        elif head.endswith(".py"):
            names.add(head[:-3])
        elif ".cpython-" in head or head.endswith((".so", ".pyd")):
            names.add(head.split(".", 1)[0])
    return names


def _dist_name(entry: str) -> str:
    return entry.rsplit(".", 1)[0].partition("-")[0]


def providers_of(name: str, envs: Iterable[Environment]) -> list[str]:
    """The distributions (normalized names) that install import name ``name``.

    ``envs`` are read in order and the first environment that has an answer gives it; with
    none, the :data:`KNOWN` table does (``[]`` when it does not know either). A dotted name
    (``google.protobuf``) is looked up by its first part in the files.
    """
    top = name.split(".", 1)[0]
    for env in envs:
        found: list[str] = []
        for site in site_packages(env):
            try:
                entries = sorted(os.listdir(site))
            except OSError:
                continue
            for entry in entries:
                if entry.endswith((".dist-info", ".egg-info")) and top in _top_level(
                    os.path.join(site, entry)
                ):
                    found.append(normalize(_dist_name(entry)))
        if found:
            return list(dict.fromkeys(found))
    known = KNOWN.get(name) or KNOWN.get(top)
    return [known] if known else []
