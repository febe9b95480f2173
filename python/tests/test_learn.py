"""vigil.IsolationForest and vigil.Autoencoder: planted outliers found, seeded determinism on
any thread count, attributions that add up, bytes that round-trip, errors as vigil.Error, and
the same answers as `vigil outliers`."""

import csv
import subprocess

import numpy as np
import pytest

import vigil


def planted(seed=0, n=2000, outliers=40, d=5):
    """Correlated inliers (a shared factor) and outliers far out on one feature or breaking the
    correlation; labels 1 for the outliers."""
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(n, 1))
    X = factor + 0.3 * rng.normal(size=(n, d))
    y = np.zeros(n, dtype=int)
    idx = rng.choice(n, outliers, replace=False)
    y[idx] = 1
    for k, i in enumerate(idx):
        if k % 2:
            X[i, k % d] += 6
        else:
            X[i] = np.where(np.arange(d) % 2, 1.5, -1.5) + 0.2 * rng.normal(size=d)
    return X, y


def roc_auc(scores, labels):
    """The Mann-Whitney statistic (ties count one half)."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j < len(scores) and sorted_scores[j] == sorted_scores[i]:
            j += 1
        ranks[order[i:j]] = (i + j + 1) / 2
        i = j
    pos = labels.sum()
    neg = len(labels) - pos
    return (ranks[labels == 1].sum() - pos * (pos + 1) / 2) / (pos * neg)


@pytest.mark.parametrize("make", [lambda: vigil.IsolationForest(random_state=1),
                                  lambda: vigil.IsolationForest(random_state=1, extension_level=2),
                                  lambda: vigil.Autoencoder(random_state=1)])
def test_planted_outliers_score_high(make):
    X, y = planted()
    model = make().fit(X)
    scores = model.anomaly_score(X)
    assert scores.shape == (len(X),) and scores.dtype == np.float64
    assert roc_auc(scores, y) > 0.95
    assert model.n_features_in_ == 5


def test_same_seed_same_scores_on_any_thread_count():
    X, _ = planted(seed=2)
    one = vigil.IsolationForest(random_state=7, n_jobs=1).fit(X)
    four = vigil.IsolationForest(random_state=7, n_jobs=4).fit(X)
    assert np.array_equal(one.anomaly_score(X), four.anomaly_score(X))
    assert np.array_equal(one.attributions(X[:50]), four.attributions(X[:50]))
    assert one.to_bytes() == four.to_bytes()
    other = vigil.IsolationForest(random_state=8).fit(X)
    assert not np.array_equal(one.anomaly_score(X), other.anomaly_score(X))
    a = vigil.Autoencoder(random_state=3, epochs=10, n_jobs=1).fit(X)
    b = vigil.Autoencoder(random_state=3, epochs=10, n_jobs=3).fit(X)
    assert np.array_equal(a.anomaly_score(X), b.anomaly_score(X))
    assert a.to_bytes() == b.to_bytes()


def test_attributions_add_up_to_the_score():
    X, _ = planted(seed=3)
    forest = vigil.IsolationForest().fit(X)
    phi = forest.attributions(X)
    assert phi.shape == X.shape
    np.testing.assert_allclose(phi.sum(axis=1), forest.anomaly_score(X) - forest.base_score,
                               rtol=0, atol=1e-9)
    auto = vigil.Autoencoder(epochs=10).fit(X)
    phi = auto.attributions(X)
    assert (phi >= 0).all()
    np.testing.assert_allclose(phi.sum(axis=1), auto.anomaly_score(X), rtol=1e-12, atol=0)
    # A row pushed out on feature 3 only: feature 3 carries the largest attribution.
    row = X[:1].copy()
    row[0, 3] += 8
    assert forest.attributions(row)[0].argmax() == 3
    assert auto.attributions(row)[0].argmax() == 3


def test_bytes_round_trip_and_corruption():
    X, _ = planted(seed=4)
    for model in (vigil.IsolationForest(extension_level=1).fit(X),
                  vigil.Autoencoder(epochs=5).fit(X)):
        data = model.to_bytes()
        back = type(model).from_bytes(data)
        assert np.array_equal(back.anomaly_score(X), model.anomaly_score(X))
        assert back.to_bytes() == data
        with pytest.raises(vigil.CorruptionError):
            type(model).from_bytes(data[:-3])
        with pytest.raises(vigil.CorruptionError):
            type(model).from_bytes(data + b"x")
        with pytest.raises(vigil.CorruptionError):
            type(model).from_bytes(b"\x00garbage")


def test_bad_input_raises_vigil_errors():
    X, _ = planted(seed=5, n=100, outliers=2)
    with pytest.raises(vigil.InvalidArgumentError, match="call fit"):
        vigil.IsolationForest().anomaly_score(X)
    with pytest.raises(vigil.InvalidArgumentError, match="2-dimensional"):
        vigil.IsolationForest().fit(X[:, 0])
    bad = X.copy()
    bad[7, 2] = np.nan
    with pytest.raises(vigil.InvalidArgumentError, match="row 7, feature 2"):
        vigil.Autoencoder().fit(bad)
    forest = vigil.IsolationForest().fit(X)
    with pytest.raises(vigil.InvalidArgumentError, match="features"):
        forest.anomaly_score(X[:, :3])
    with pytest.raises(vigil.InvalidArgumentError, match="axis-parallel"):
        vigil.IsolationForest(extension_level=1).fit(X).attributions(X)
    with pytest.raises(vigil.InvalidArgumentError, match="extension_level"):
        vigil.IsolationForest(extension_level=5).fit(X)
    # Integer and Fortran-ordered input is converted, not refused.
    assert np.array_equal(forest.anomaly_score(np.asfortranarray(X)), forest.anomaly_score(X))


def test_cli_gives_the_same_answers(cli, tmp_path):
    X, _ = planted(seed=6, n=300, outliers=6, d=4)
    path = tmp_path / "rows.csv"
    names = ["asr_ms", "nlu_ms", "dialog_ms", "tts_ms"]
    with open(path, "w") as f:
        f.write(",".join(["id"] + names) + "\n")
        for i, row in enumerate(X):
            f.write(",".join([f"r{i}"] + [repr(float(v)) for v in row]) + "\n")
    for model, make in (("iforest", lambda: vigil.IsolationForest(random_state=5)),
                        ("autoencoder", lambda: vigil.Autoencoder(random_state=5))):
        out = tmp_path / f"{model}.csv"
        subprocess.run([cli, "outliers", "--csv", str(path), "--columns", ",".join(names),
                        "--model", model, "--seed", "5", "--out", str(out)], check=True,
                       capture_output=True)
        with open(out) as f:
            rows = list(csv.DictReader(f))
        m = make().fit(X)
        scores, phi = m.anomaly_score(X), m.attributions(X)
        assert [int(r["line"]) for r in rows] == list(range(2, len(X) + 2))
        np.testing.assert_allclose([float(r["score"]) for r in rows], scores, rtol=1e-5)
        for r, p in zip(rows, phi):
            assert r["feature_1"] == names[int(np.argmax(p))]
            assert float(r["attribution_1"]) == pytest.approx(p.max(), rel=1e-5, abs=1e-12)
