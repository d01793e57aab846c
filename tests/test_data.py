"""Data sets: the shipped CSVs, the synthetic generators, CSV errors that name row and column."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from descentlab import data
from descentlab.data import DATASETS, Dataset, load, read_csv
from descentlab.errors import ConfigError


def test_shipped_sets_have_their_documented_shape_and_task():
    engel = load("engel")
    assert engel.X.shape == (235, 1) and engel.features == ("income",)
    assert engel.target == "foodexp" and engel.kind == "regression"
    # Engel's law: food takes a falling share of a rising income; the raw correlation is ~0.91.
    assert 0.85 < np.corrcoef(engel.X[:, 0], engel.y)[0, 1] < 0.95
    iris = load("iris")
    assert iris.X.shape == (100, 2) and iris.kind == "classification"
    assert iris.features == ("petal_length", "petal_width") and iris.y.sum() == 50


def test_every_shipped_file_is_listed_with_source_and_licence_in_the_readme():
    folder = resources.files("descentlab.data")
    readme = folder.joinpath("README.md").read_text(encoding="utf-8")
    csvs = [p.name for p in folder.iterdir() if p.name.endswith(".csv")]
    assert sorted(csvs) == ["engel.csv", "iris.csv"]
    for name in csvs:
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}`"))
        assert "public domain" in row or "CC BY" in row
        rows = load(name.removesuffix(".csv")).rows
        assert f"| {rows} |" in row


def test_iris_two_classes_overlap_so_logistic_regression_has_a_finite_minimum():
    # If a line separated the classes, the cross-entropy would have no minimiser. A point of each
    # class inside the other's petal-size range shows that no line through them separates.
    iris = load("iris")
    v, g = iris.X[iris.y == 0], iris.X[iris.y == 1]
    assert v[:, 0].max() > g[:, 0].min() and v[:, 1].max() > g[:, 1].min()


@pytest.mark.parametrize("name", ["line", "blobs", "moons"])
def test_synthetic_sets_are_reproducible_from_their_seed(name):
    a, b, c = DATASETS[name](seed=3), DATASETS[name](seed=3), DATASETS[name](seed=4)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)


def test_synthetic_sets_follow_their_definition():
    ln = data.line(400, slope=3.0, intercept=1.0, noise=0.0, seed=1)
    np.testing.assert_allclose(ln.y, 3.0 * ln.X[:, 0] + 1.0, rtol=0, atol=1e-14)
    assert ln.kind == "regression"
    moons = data.moons(101, noise=0.0)
    upper = moons.X[moons.y == 0]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=1e-14)
    assert (moons.y == 0).sum() == 50 and moons.kind == "classification"
    bl = data.blobs(2000, distance=4.0, seed=0)
    assert bl.X[bl.y == 1, 0].mean() - bl.X[bl.y == 0, 0].mean() == pytest.approx(4.0, abs=0.15)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: data.line(3), "n must be"),
        (lambda: data.moons(True), "n must be"),
        (lambda: data.moons(50, noise=-1.0), "noise"),
        (lambda: data.blobs(50, distance=float("nan")), "finite"),
        (lambda: load("nope"), "unknown data set 'nope'"),
        (lambda: load("engel", target="income"), "target applies to a CSV"),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ConfigError, match=match):
        call()


def test_standardized_has_mean_zero_and_unit_deviation_and_keeps_the_target():
    ds = Dataset(
        "t", np.array([[1.0, 5.0], [3.0, 5.0], [8.0, 5.0]]), np.array([1.0, 2.0, 4.0]),
        ("a", "b"), "y", "regression",
    )  # fmt: skip
    s = ds.standardized()
    np.testing.assert_allclose(s.X[:, 0], (ds.X[:, 0] - 4.0) / np.std([1.0, 3.0, 8.0]))
    assert np.array_equal(s.X[:, 1], np.zeros(3))  # a constant feature is only shifted
    assert np.array_equal(s.y, ds.y) and s.x_scale[1] == 1.0


def test_a_set_standardized_like_another_takes_its_means_and_deviations():
    train = Dataset(
        "t", np.array([[1.0], [3.0], [8.0]]), np.array([0.0, 1.0, 2.0]), ("a",), "y", "regression"
    )
    valid = Dataset("v", np.array([[4.0], [10.0]]), np.array([5.0, 6.0]), ("a",), "y", "regression")
    s = train.standardized()
    v = valid.standardized(like=s)
    sd = np.std([1.0, 3.0, 8.0])  # the training set's, not the validation set's
    np.testing.assert_allclose(v.X[:, 0], [0.0, 6.0 / sd])
    assert v.x_mean is s.x_mean and v.x_scale is s.x_scale and np.array_equal(v.y, valid.y)
    with pytest.raises(ValueError, match="'t' is not standardized"):
        valid.standardized(like=train)


def test_split_is_a_seeded_partition():
    ds = data.line(50, seed=0)
    train, valid = ds.split(0.2, seed=7)
    assert (train.rows, valid.rows) == (40, 10)
    joined = np.sort(np.concatenate([train.X[:, 0], valid.X[:, 0]]))
    assert np.array_equal(joined, np.sort(ds.X[:, 0]))
    again = ds.split(0.2, seed=7)[1]
    assert np.array_equal(again.X, valid.X)
    for bad in (0.0, 1.0, 1.5, "0.2", 0.001):
        with pytest.raises(ConfigError, match="holdout"):
            ds.split(bad, seed=0)


# ---------------------------------------------------------------------------------------------
# The user's CSV.


def write(tmp_path: Path, text: str, name: str = "d.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_with_a_header_reads_its_last_column_as_the_target(tmp_path):
    path = write(tmp_path, '"a", b ,y\n1,2,0\n\n3,4.5e0,1\n-1,  0 ,1\n')
    ds = read_csv(path)
    assert ds.features == ("a", "b") and ds.target == "y" and ds.kind == "classification"
    assert np.array_equal(ds.X, [[1, 2], [3, 4.5], [-1, 0]]) and np.array_equal(ds.y, [0, 1, 1])
    other = load(str(path), target="a")
    assert other.features == ("b", "y") and np.array_equal(other.y, [1, 3, -1])
    assert other.kind == "regression"


def test_a_byte_order_mark_is_not_part_of_the_first_name(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffx,y\n1,2\n2,3\n".encode())
    assert read_csv(path).features == ("x",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x,y\n1,2\n3,abc\n", "row 3, column 2 ('y'): 'abc' is not a number"),
        ("x,y\n1,2\n,2\n", "row 3, column 1 ('x'): '' is not a number"),
        ("x,y\n1,2\n3,nan\n", "row 3, column 2 ('y'): 'nan' is not finite"),
        ("x,y\n1,2\n3,4,5\n", "row 3 has 3 cells; the header has 2"),
        ("x,y,z\n1,2,3\n4,5\n", "row 3 has 2 cells; the header has 3"),
        ("", "the file is empty"),
        ("\n\n", "the file is empty"),
        ("x,y\n", "no data rows after the header"),
        ("y\n1\n2\n", "row 1 (the header) has 1 column"),
        ("x,,y\n1,2,3\n", "column 2 has no name"),
        ("x,x\n1,2\n", "'x' appears twice"),
    ],
)
def test_bad_csv_files_name_the_row_and_the_column(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        read_csv(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_a_missing_target_column_lists_the_columns(tmp_path):
    path = write(tmp_path, "x,y\n1,2\n")
    with pytest.raises(ConfigError, match=r"no target column 'price'; the columns are x, y"):
        read_csv(path, target="price")


def test_a_missing_or_binary_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read data file"):
        read_csv(tmp_path / "absent.csv")
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(ConfigError, match="not a text file"):
        read_csv(binary)
    with pytest.raises(ConfigError, match="cannot read data file"):
        read_csv(tmp_path)  # a folder


def test_too_many_rows_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "MAX_ROWS", 3)
    path = write(tmp_path, "x,y\n" + "1,2\n" * 4)
    with pytest.raises(ConfigError, match="more than 3 data rows"):
        read_csv(path)
