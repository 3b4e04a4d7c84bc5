import gzip
import re
import shutil

import numpy as np
import pytest
import torch
import torchvision

from lepton_helpers import data
from lepton_helpers.data import DataFileError, find_data_dir, load_mnist, read_idx, verify_checksums

BUNDLED_DIR = find_data_dir() / data.BUNDLED


def write_idx(path, array: np.ndarray, code: int = 0x08, compress: bool = True) -> None:
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    (gzip.open if compress else open)(path, "wb").write(payload)


@pytest.fixture
def copy_of_bundled(tmp_path, monkeypatch):
    """A copy of data/ in tmp_path, selected through LEPTON_DATA_DIR, to damage safely."""
    shutil.copytree(BUNDLED_DIR, tmp_path / "data" / data.BUNDLED)
    monkeypatch.setenv(data.DATA_ENV_VAR, str(tmp_path / "data"))
    return tmp_path / "data" / data.BUNDLED


def test_checksums_match_the_files_and_the_readme():
    verify_checksums(BUNDLED_DIR)
    readme = (BUNDLED_DIR / "README.md").read_text()
    assert dict((n, h) for h, n in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.MULTILINE)) == data.BUNDLED_SHA256


def test_bundled_mnist_shapes_types_and_first_labels(mnist):
    assert mnist.source == "bundled"
    assert mnist.train_images.shape == (10000, 28, 28) and mnist.test_images.shape == (10000, 28, 28)
    assert mnist.train_images.dtype == torch.uint8 and mnist.train_labels.dtype == torch.int64
    assert mnist.train_labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert mnist.test_labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # the official test set
    assert set(mnist.train_labels.unique().tolist()) == set(range(10))


def test_read_idx_any_mnist_format_file_raw_or_gzip(tmp_path):
    images = np.arange(3 * 5 * 4, dtype=np.uint8).reshape(3, 5, 4)
    write_idx(tmp_path / "x.gz", images)
    write_idx(tmp_path / "x", images, compress=False)
    np.testing.assert_array_equal(read_idx(tmp_path / "x.gz"), images)
    np.testing.assert_array_equal(read_idx(tmp_path / "x"), images)
    floats = np.linspace(-1, 1, 6).reshape(2, 3).astype(np.float32)
    write_idx(tmp_path / "f.gz", floats, code=0x0D)
    np.testing.assert_array_equal(read_idx(tmp_path / "f.gz"), floats)


def test_read_mnist_folder_reads_another_mnist_like_set(tmp_path):
    rng = np.random.default_rng(0)
    for split, n in (("train", 7), ("t10k", 3)):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", rng.integers(0, 10, n, dtype=np.uint8))
    fashion = data.read_mnist_folder(tmp_path, source="fashion")
    assert fashion.train_images.shape == (7, 28, 28) and fashion.test_labels.dtype == torch.int64


def test_read_mnist_folder_refuses_float_images_instead_of_zeroing_them(tmp_path):
    """Images stored as floats in [0, 1] (IDX type 0x0D) would all become 0 as bytes: a clear error instead."""
    rng = np.random.default_rng(0)
    for split, n in (("train", 7), ("t10k", 3)):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", rng.random((n, 28, 28), dtype=np.float32), code=0x0D)
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", rng.integers(0, 10, n, dtype=np.uint8))
    with pytest.raises(DataFileError, match=r"train images are float32.*unsigned bytes"):
        data.read_mnist_folder(tmp_path)


def test_truncated_file_names_the_file_and_the_fix(copy_of_bundled):
    path = copy_of_bundled / "train-labels-idx1-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-100]))  # a valid gzip whose content stops early
    with pytest.raises(DataFileError, match=r"train-labels-idx1-ubyte\.gz.*truncated.*git checkout"):
        read_idx(path)
    with pytest.raises(DataFileError, match="Checksum mismatch"):
        load_mnist("bundled")


def test_cut_gzip_archive_is_reported(copy_of_bundled):
    path = copy_of_bundled / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:50_000])
    with pytest.raises(DataFileError, match=r"t10k-images-idx3-ubyte\.gz is not a readable gzip archive"):
        read_idx(path)


def test_garbled_gzip_stream_is_reported(copy_of_bundled):
    path = copy_of_bundled / "t10k-images-idx3-ubyte.gz"
    garbled = bytearray(path.read_bytes())
    garbled[200:264] = b"\xff" * 64  # inside the deflate stream: zlib itself fails
    path.write_bytes(bytes(garbled))
    with pytest.raises(DataFileError, match=r"not a readable gzip archive \(error: .*truncated or corrupted"):
        read_idx(path)


def test_corrupted_byte_fails_the_checksum(copy_of_bundled):
    path = copy_of_bundled / "train-images-idx3-ubyte.gz"
    blob = bytearray(path.read_bytes())
    blob[1000] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(DataFileError, match=r"train-images-idx3-ubyte\.gz: expected SHA-256 3ef602e9"):
        load_mnist("bundled")


def test_wrong_header_is_reported(tmp_path):
    (tmp_path / "bad").write_bytes(b"PK\x03\x04 not an idx file")
    with pytest.raises(DataFileError, match="IDX header"):
        read_idx(tmp_path / "bad")


def test_missing_file_names_the_file_and_the_fix(copy_of_bundled):
    (copy_of_bundled / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match=r"t10k-labels-idx1-ubyte\.gz.*git checkout"):
        load_mnist("bundled")


@pytest.mark.repository  # an editable install finds data/ from the package's location, an installed one does not
def test_data_dir_is_found_from_subfolders_and_elsewhere(monkeypatch, tmp_path):
    monkeypatch.delenv(data.DATA_ENV_VAR, raising=False)
    expected = find_data_dir()
    monkeypatch.chdir(expected.parent / "notebooks")
    assert find_data_dir() == expected
    monkeypatch.chdir(tmp_path)  # outside the repository: found through the package's location
    assert find_data_dir() == expected


def test_env_override_must_point_at_a_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv(data.DATA_ENV_VAR, str(tmp_path))
    with pytest.raises(FileNotFoundError, match="LEPTON_DATA_DIR"):
        find_data_dir()


def test_auto_falls_back_to_bundled_and_says_so(copy_of_bundled, capsys):
    assert load_mnist("auto").source == "bundled"
    assert "bundled" in capsys.readouterr().out


def test_full_offline_names_the_bundled_alternative(copy_of_bundled, monkeypatch):
    # A mirror that refuses connections at once stands in for a machine without a network.
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])
    with pytest.raises(RuntimeError, match=r"load_mnist\('bundled'\)"):
        load_mnist("full")
    assert not data.full_on_disk(copy_of_bundled.parent)


def test_unknown_source_is_rejected():
    with pytest.raises(ValueError, match="bundled"):
        load_mnist("kaggle")


def test_loading_never_modifies_the_bundled_files(mnist):
    verify_checksums(BUNDLED_DIR)
