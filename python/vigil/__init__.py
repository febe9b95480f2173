"""vigil: finds, explains and groups regressions in speech-pipeline telemetry.

The same engine as the `vigil` command line, from Python::

    import vigil
    config = vigil.Config.load("examples/speech/vigil.yaml")
    cube = vigil.Cube(config)
    cube.ingest_files(["events.jsonl"])          # or cube.ingest_frame(pandas_frame)
    cube.series("e2e_p95", {"platform": "watchOS"}, granularity="1h")   # a DataFrame
    anomalies = vigil.detect(cube)
    incident = vigil.explain(cube, anomalies[0])  # DESIGN §5 document
    incidents = vigil.run(config, ["events.jsonl"])
    scores = vigil.backtest(cube, "truth.json")  # as `vigil backtest --json`

Multivariate outlier models on numpy arrays (as `vigil outliers`)::

    forest = vigil.IsolationForest(random_state=0).fit(X)
    forest.anomaly_score(X)    # higher is more abnormal
    forest.attributions(X)     # rows x features, summing to the score minus forest.base_score

Cubes are exact and mergeable: cubes built from parts of the input and merged (Cube.merge, or
across processes with Cube.to_bytes / Cube.from_bytes) hold the same events as one cube built
from all of it. vigil.dask builds them on a Dask cluster.

Errors are vigil.Error subclasses carrying the CLI's messages: ConfigError, NotFoundError,
IoError, DataError (and its CorruptionError), InvalidArgumentError, LimitExceededError,
InternalError.
"""

from vigil._vigil import (
    __version__,
    Autoencoder,
    Config,
    ConfigError,
    CorruptionError,
    Cube,
    DataError,
    Error,
    InternalError,
    InvalidArgumentError,
    IoError,
    IsolationForest,
    LimitExceededError,
    NotFoundError,
    backtest,
    detect,
    explain,
    find_incidents,
    group,
    link_related,
    run,
)

__all__ = [
    "Autoencoder",
    "Config",
    "ConfigError",
    "CorruptionError",
    "Cube",
    "DataError",
    "Error",
    "InternalError",
    "InvalidArgumentError",
    "IoError",
    "IsolationForest",
    "LimitExceededError",
    "NotFoundError",
    "__version__",
    "backtest",
    "detect",
    "explain",
    "find_incidents",
    "group",
    "link_related",
    "run",
]
