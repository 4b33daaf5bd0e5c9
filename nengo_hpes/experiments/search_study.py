"""
Optuna storages and studies for `nengo_hpes.experiments.search`.

`open_storage` opens a database URL with heartbeats and retries (and on
SQLite, transactions that begin with ``BEGIN IMMEDIATE``: Optuna claims a
waiting trial with ``SELECT ... FOR UPDATE``, which SQLite ignores, so two
processes could take the same trial; SQLAlchemy's recipe for serialisable
SQLite transactions makes the claim atomic). `make_spec` declares a study and
its evaluations, and `create_or_join` creates it, enqueuing one waiting trial
per evaluation, or joins it after checking that its settings are the same.
"""

import contextlib
import itertools
import json
import pathlib
import random
import re
import time
import warnings

import optuna
import sqlalchemy
from nengo.exceptions import NengoException, ValidationError
from optuna.distributions import distribution_to_json
from optuna.exceptions import ExperimentalWarning
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback

from nengo_hpes.experiments.search_tasks import check_rule

#: the study user attribute holding the specification
SPEC_ATTR = "nengo_hpes_spec"
#: the study user attribute set once every trial is enqueued (their number)
READY_ATTR = "nengo_hpes_trials"
SAMPLERS = ("tpe", "random")
BACKENDS = ("sqlite", "postgresql", "mysql")


class StorageError(NengoException):
    """A storage could not be opened (its URL is in the message, password hidden)."""


# -- validation


def _check_int(attr, value, low, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(f"Must be an integer >= {low} (got {value!r})", attr=attr)
    if int(value) != value or value < low:
        raise ValidationError(f"Must be an integer >= {low} (got {value!r})", attr=attr)
    return int(value)


def _check_choice(attr, value, choices):
    if value not in choices:
        raise ValidationError(f"Must be one of {choices} (got {value!r})", attr=attr)
    return value


def hide_password(url):
    """
    A storage URL with its password replaced by ``***``.

    Parameters
    ----------
    url : str

    Returns
    -------
    str
    """
    try:
        return sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", str(url))


def parse_storage_url(url):
    """
    Check a storage URL; return it as a `sqlalchemy.engine.URL`.

    ``postgresql://`` selects the psycopg (3) driver (``postgresql+psycopg``),
    the one the ``experiments`` extra installs. SQLite needs a file (each
    worker is its own process): ``sqlite:///relative/path.db`` or
    ``sqlite:////absolute/path.db``.

    Raises
    ------
    nengo.exceptions.ValidationError
        Naming the URL, its password hidden.
    """
    shown = hide_password(url)
    form = (
        "a database URL such as sqlite:///build/search.db or "
        "postgresql://user:password@host:5432/dbname"
    )
    if not isinstance(url, str):
        raise ValidationError(f"Must be {form} (got {url!r})", attr="storage")
    try:
        parsed = sqlalchemy.engine.make_url(url)
    except sqlalchemy.exc.ArgumentError:
        raise ValidationError(
            f"Must be {form} (got {shown!r})", attr="storage"
        ) from None
    if parsed.get_backend_name() not in BACKENDS:
        raise ValidationError(
            f"Must be {form}, with a backend in {BACKENDS} (got {shown!r})",
            attr="storage",
        )
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite" and parsed.database in (
        None,
        "",
        ":memory:",
    ):
        raise ValidationError(
            f"SQLite needs a file that every worker opens, e.g. "
            f"sqlite:///build/search.db (got {shown!r})",
            attr="storage",
        )
    try:
        parsed.get_dialect()
    except (sqlalchemy.exc.NoSuchModuleError, ImportError) as e:
        raise ValidationError(
            f"Must be {form}; the driver of {shown!r} is not available ({e})",
            attr="storage",
        ) from None
    return parsed


def _sqlite_begin_immediate(conn):
    conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextlib.contextmanager
def _quiet():
    """Optuna's heartbeat and retry features warn that they are experimental."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        yield


def _rdb_storage(url, attempts=5, **kwargs):
    """
    `RDBStorage`, retried when another process creates the same tables.

    On a new database, workers that start together all create Optuna's tables
    and types; all but one fail with "already exists" (PostgreSQL: a duplicate
    key of ``pg_type``). Once one has made them, opening again succeeds.
    """
    for attempt in range(attempts):
        try:
            with _quiet():
                return RDBStorage(url, **kwargs)
        except sqlalchemy.exc.SQLAlchemyError as e:
            text = str(e)
            race = "already exists" in text or "duplicate key" in text
            if not race or attempt == attempts - 1:
                raise
            time.sleep(0.2 + random.random())


def open_storage(url, heartbeat_interval=10, grace_period=None, max_retry=2):
    """
    Open (or create) an Optuna storage with heartbeats and retries.

    Parameters
    ----------
    url : str
        Database URL (see `parse_storage_url`). A SQLite file's folder is
        created if needed.
    heartbeat_interval : int, optional
        Seconds between the heartbeats of a running trial.
    grace_period : int, optional
        Seconds without a heartbeat after which a running trial is failed and
        retried (default: Optuna's, twice ``heartbeat_interval``).
    max_retry : int, optional
        How many times one evaluation is retried after its worker died.

    Returns
    -------
    `optuna.storages.RDBStorage`

    Raises
    ------
    nengo.exceptions.ValidationError
        A malformed URL or argument.
    StorageError
        The database cannot be reached or opened; the message names the URL
        with its password hidden.
    """
    heartbeat_interval = _check_int("heartbeat_interval", heartbeat_interval, 1)
    grace_period = _check_int("grace_period", grace_period, 1, allow_none=True)
    if grace_period is not None and grace_period <= heartbeat_interval:
        raise ValidationError(
            f"Must be greater than heartbeat_interval ({heartbeat_interval} s), or "
            f"a running trial is failed between two heartbeats (got {grace_period})",
            attr="grace_period",
        )
    max_retry = _check_int("max_retry", max_retry, 0)
    parsed = parse_storage_url(url)
    shown = hide_password(url)
    backend = parsed.get_backend_name()
    engine_kwargs = {}
    if backend == "sqlite":
        path = pathlib.Path(parsed.database)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StorageError(f"Cannot open the storage {shown}: {e}") from None
        # the driver's own transaction handling off, so that `begin` below
        # starts every transaction; wait up to 60 s for another worker's lock
        engine_kwargs["connect_args"] = {"isolation_level": None, "timeout": 60}
    elif backend == "postgresql":
        engine_kwargs["connect_args"] = {"connect_timeout": 10}
        engine_kwargs["pool_pre_ping"] = True
    with _quiet():
        retry = RetryHeartbeatStaleTrialCallback(max_retry=max_retry)
    try:
        storage = _rdb_storage(
            parsed.render_as_string(hide_password=False),
            engine_kwargs=engine_kwargs,
            heartbeat_interval=heartbeat_interval,
            grace_period=grace_period,
            heartbeat_stale_trial_callback=retry,
        )
    except (
        sqlalchemy.exc.SQLAlchemyError,
        optuna.exceptions.StorageInternalError,
        RuntimeError,
        OSError,
        ImportError,  # the URL's driver is not installed
    ) as e:
        cause = e.orig if getattr(e, "orig", None) is not None else e
        text = " ".join(str(cause).split())
        if isinstance(e, ImportError) and e.__cause__ is not None:
            text += f" ({e.__cause__})"
        if parsed.password:
            text = text.replace(str(parsed.password), "***")
        raise StorageError(f"Cannot open the storage {shown}: {text}") from None
    if backend == "sqlite":
        sqlalchemy.event.listen(storage.engine, "begin", _sqlite_begin_immediate)
    return storage


# -- study specification


def _values(text):
    """The values of a ``--grid NAME=V1,V2`` option."""
    name, sep, values = text.partition("=")
    if not sep or not name.strip() or not values.strip():
        raise ValidationError(f"Must be NAME=V1,V2,... (got {text!r})", attr="grid")
    try:
        return name.strip(), [float(v) for v in values.split(",")]
    except ValueError:
        raise ValidationError(
            f"Grid values must be numbers (got {text!r})", attr="grid"
        ) from None


def make_spec(
    task, rule, options, trials=None, seed=0, grid=None, seeds=None, sampler="tpe"
):
    """
    A study's specification and its evaluations (what `create_or_join` enqueues).

    A search has ``trials`` evaluations with seeds ``seed, seed + 1, ...``; a
    sweep has one per point of ``grid`` and seed of ``seeds``.

    Parameters
    ----------
    task : `~nengo_hpes.experiments.search_tasks.Task`
    rule : {"hpes", "pes"}
    options : dict
        The task's options (from `.Task.parse_options`).
    trials : int, optional
        Search: the number of evaluations.
    seed : int, optional
        Search: the first trial's seed.
    grid : dict, optional
        Sweep: ``{name: [values]}`` of parameters of the space.
    seeds : list of int, optional
        Sweep: the seeds of each grid point (default ``[seed]``).
    sampler : {"tpe", "random"}, optional
        Search: Optuna's TPE (with ``constant_liar`` for parallel workers) or
        random sampler.

    Returns
    -------
    spec : dict
        JSON-compatible; stored as the study user attribute `SPEC_ATTR`.
    evaluations : list of (dict, int)
        The fixed parameters (empty for a search) and the seed of each trial.
    """
    rule = check_rule(rule)
    space = task.space(rule)
    seed = _check_int("seed", seed, 0)
    spec = {
        "task": task.name,
        "rule": rule,
        "space": {name: distribution_to_json(d) for name, d in space.items()},
        "options": dict(options),
    }
    if grid is None and seeds is None:
        if trials is None:
            raise ValidationError(
                "A search needs the number of trials (--trials), a sweep a grid "
                "or seeds (--grid, --seeds) (got none of them)",
                attr="trials",
            )
        trials = _check_int("trials", trials, 1)
        _check_choice("sampler", sampler, SAMPLERS)
        spec.update(mode="search", trials=trials, seed=seed, sampler=sampler)
        return spec, [({}, seed + k) for k in range(trials)]

    if trials is not None:
        raise ValidationError(
            f"A sweep's grid and seeds set its number of trials: give either "
            f"trials or a grid/seeds (got trials={trials!r})",
            attr="trials",
        )
    grid = dict(grid or {})
    for name, values in grid.items():
        if name not in space:
            raise ValidationError(
                f"Rule {rule!r} on task {task.name!r} has the parameters "
                f"{sorted(space)} (got {name!r})",
                attr="grid",
            )
        d = space[name]
        if len(values) == 0:
            raise ValidationError(f"{name} needs at least one value", attr="grid")
        for v in values:
            if not (isinstance(v, (int, float)) and d.low <= v <= d.high):
                raise ValidationError(
                    f"{name} must be in [{d.low:g}, {d.high:g}] (got {v!r})",
                    attr="grid",
                )
    seeds = [seed] if seeds is None else list(seeds)
    if len(seeds) == 0:
        raise ValidationError("Must give at least one seed (got none)", attr="seeds")
    for s in seeds:
        _check_int("seeds", s, 0)
    if len(set(seeds)) != len(seeds):
        raise ValidationError(f"Seeds must differ (got {seeds})", attr="seeds")
    seeds = [int(s) for s in seeds]
    names = list(grid)
    grid = {name: [float(v) for v in grid[name]] for name in names}
    spec.update(mode="sweep", grid=grid, seeds=seeds)
    points = [dict(zip(names, values)) for values in itertools.product(*grid.values())]
    return spec, [(point, s) for point in points for s in seeds]


def _normal(obj):
    return json.loads(json.dumps(obj))


def create_or_join(storage, study_name, spec, evaluations, wait=60.0):
    """
    Create the study and enqueue its evaluations, or join it if it exists.

    Only the process whose `optuna.create_study` succeeds enqueues (the
    storage makes study names unique), so workers that start together on
    many machines enqueue each evaluation once.

    Parameters
    ----------
    storage : `optuna.storages.RDBStorage`
    study_name : str
    spec, evaluations
        From `make_spec`.
    wait : float, optional
        Seconds to wait for the creator to finish enqueuing.

    Returns
    -------
    study : `optuna.Study`
    created : bool

    Raises
    ------
    nengo.exceptions.ValidationError
        The study exists with another specification (task, rule, space,
        options, trials, grid or seeds): the message lists the differences.
    """
    if not isinstance(study_name, str) or not study_name.strip():
        raise ValidationError(
            f"Must be a non-empty name (got {study_name!r})", attr="study"
        )
    spec = _normal(spec)
    try:
        study = optuna.create_study(
            storage=storage, study_name=study_name, direction="minimize"
        )
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=study_name, storage=storage)
    else:
        study.set_user_attr(SPEC_ATTR, spec)
        for params, seed in evaluations:
            study.enqueue_trial(params, user_attrs={"seed": seed})
        study.set_user_attr(READY_ATTR, len(evaluations))
        return study, True

    deadline = time.monotonic() + wait
    while True:
        attrs = optuna.load_study(study_name=study_name, storage=storage).user_attrs
        if SPEC_ATTR in attrs:
            check_spec(study_name, storage, attrs[SPEC_ATTR], spec)
        if READY_ATTR in attrs:
            return study, False
        if time.monotonic() > deadline:
            raise ValidationError(
                f"Study {study_name!r} in {hide_password(storage.url)} was not made "
                f"by this command, or its creator stopped before enqueuing its "
                f"trials; delete it (optuna delete-study) or use another name",
                attr="study",
            )
        time.sleep(0.5)


def check_spec(study_name, storage, stored, asked):
    """Raise a ValidationError listing how ``asked`` differs from ``stored``."""
    if stored == asked:
        return
    keys = sorted(set(stored) | set(asked))
    diff = "; ".join(
        f"{k}: stored {stored.get(k)!r}, asked {asked.get(k)!r}"
        for k in keys
        if stored.get(k) != asked.get(k)
    )
    raise ValidationError(
        f"Study {study_name!r} in {hide_password(storage.url)} was made with other "
        f"settings, and its results would be mixed with these ({diff}); use "
        f"another study name, or the study's own settings",
        attr="study",
    )
