"""The prefetch command, without a network.

The full MNIST cannot be downloaded here, so a fake "already downloaded" folder is built from the
bundled files (same IDX format and file names as torchvision's) with its own MD5 table; the
verification logic is the same one that checks the real download against torchvision's MD5s.
Offline is simulated by making every host name lookup fail, as it does without a network.
"""

from __future__ import annotations

import gzip
import shutil
import socket

import pytest

from lepton_helpers.course import prefetch
from lepton_helpers.data import BUNDLED, BUNDLED_SHA256, FULL, find_data_dir


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A data folder holding a copy of the bundled MNIST-10k and no full MNIST, used by every loader."""
    shutil.copytree(find_data_dir() / BUNDLED, tmp_path / BUNDLED)
    monkeypatch.setenv("LEPTON_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def downloaded(data_dir):
    """A full-MNIST folder laid out as torchvision leaves it (archives and unpacked files), and its MD5s."""
    raw = data_dir / FULL / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in BUNDLED_SHA256:
        shutil.copy(data_dir / BUNDLED / name, raw / name)
        (raw / name.removesuffix(".gz")).write_bytes(gzip.decompress((raw / name).read_bytes()))
    return raw, {name: prefetch.md5(raw / name) for name in BUNDLED_SHA256}


@pytest.fixture
def offline(monkeypatch):
    def no_network(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (simulated offline)")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)


def test_torchvision_md5s_cover_the_bundled_file_names():
    md5s = prefetch.torchvision_md5s()
    assert set(md5s) == set(BUNDLED_SHA256)
    assert all(len(value) == 32 and int(value, 16) >= 0 for value in md5s.values())


def test_verified_download_needs_no_network(downloaded, offline, capsys):
    raw, md5s = downloaded
    assert prefetch.prefetch(expected_md5=md5s) == raw
    out = capsys.readouterr().out
    assert "SHA-256 checksums verified" in out and "Ready for offline use" in out
    assert "10,000 training and 10,000 test digits" in out  # read back through torchvision


def test_archive_with_a_wrong_md5_is_reported(downloaded):
    raw, md5s = downloaded
    with open(raw / "t10k-labels-idx1-ubyte.gz", "ab") as f:
        f.write(b"\0")
    problems = prefetch.full_mnist_problems(raw, md5s)
    assert len(problems) == 1 and "t10k-labels-idx1-ubyte.gz has MD5" in problems[0]
    with pytest.raises(prefetch.PrefetchError, match="Delete .*mnist-full and run"):
        prefetch.prefetch(expected_md5=md5s)


def test_unpacked_file_that_differs_from_its_archive_is_reported(downloaded):
    raw, md5s = downloaded
    images = raw / "train-images-idx3-ubyte"
    data = bytearray(images.read_bytes())
    data[-1] ^= 0xFF  # one pixel: torchvision would still read the file without complaint
    images.write_bytes(bytes(data))
    assert prefetch.full_mnist_problems(raw, md5s) == [
        f"{images} differs from the content of its archive train-images-idx3-ubyte.gz"]


def test_missing_archive_is_reported(downloaded):
    raw, md5s = downloaded
    (raw / "train-labels-idx1-ubyte.gz").unlink()
    assert prefetch.full_mnist_problems(raw, md5s) == [f"{raw / 'train-labels-idx1-ubyte.gz'} is missing"]


def test_offline_without_the_full_set_fails_clearly(data_dir, offline, capsys):
    with pytest.raises(SystemExit) as exit_info:
        prefetch.main([])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "needs a network" in err and "bundled" in err and "MNIST-10k" in err
    assert not (data_dir / FULL / "MNIST" / "raw" / "train-images-idx3-ubyte").exists()


def test_damaged_bundled_file_stops_before_any_download(data_dir, offline, capsys):
    with open(data_dir / BUNDLED / "t10k-labels-idx1-ubyte.gz", "ab") as f:
        f.write(b"\0")
    with pytest.raises(SystemExit) as exit_info:
        prefetch.main([])
    assert exit_info.value.code == 1
    assert "Checksum mismatch" in capsys.readouterr().err
    assert not (data_dir / FULL).exists()
