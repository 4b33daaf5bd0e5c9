"""
Parameter searches and seed sweeps on Optuna, and their command line.

A **search** samples a task's space (`~nengo_hpes.experiments.search_tasks`)
with Optuna's TPE sampler for ``--trials`` trials; a **sweep** runs a fixed
grid of parameters times a list of seeds, with no sampler, so that multi-seed
comparisons (hPES against PES, with the paired confidence interval of
`~nengo_hpes.experiments.metrics.paired_difference`) resume after a stop as
searches do.
Both keep every trial in an Optuna storage: a SQLite file on one machine, a
PostgreSQL (or MySQL) server for many, where every worker runs the same
command against one URL. ``optuna-dashboard URL`` shows a study while it runs.
See ``docs/searches.md``.

How the work is shared: the process that creates a study writes its
specification (task, rule, space, options, seeds) as a study user attribute
and enqueues one WAITING trial per evaluation, each with its seed (a sweep's
trials also with their parameters). Workers only take (pop) these trials and
never create new ones, so however many workers and machines run, the study
has exactly ``--trials`` evaluations. Each trial records a heartbeat
(`optuna.storages.RDBStorage`'s ``heartbeat_interval``); a trial whose worker
died (``kill -9``, a lost node) is failed by the next worker once its
heartbeat is ``grace_period`` seconds old, and
`optuna.storages.RetryHeartbeatStaleTrialCallback` enqueues it again with the
same parameters and seed. So a killed worker loses only the trial it was
running, which another worker, or the command run again, redoes.

SQLite: Optuna claims a waiting trial with ``SELECT ... FOR UPDATE``, which
SQLite ignores, so two processes could take the same trial. Here every SQLite
transaction starts with ``BEGIN IMMEDIATE`` (SQLAlchemy's recipe for
serialisable SQLite transactions), which makes the claim atomic.
"""

import argparse
import contextlib
import itertools
import json
import math
import multiprocessing
import os
import pathlib
import random
import re
import socket
import sys
import time
import warnings

import optuna
import sqlalchemy
from nengo.exceptions import NengoException, ValidationError
from optuna.distributions import distribution_to_json, json_to_distribution
from optuna.exceptions import ExperimentalWarning
from optuna.storages import (
    RDBStorage,
    RetryHeartbeatStaleTrialCallback,
    fail_stale_trials,
)

# the heartbeat thread that Study.optimize runs around each trial; workers here
# run their own loop (they only pop enqueued trials), so they start it themselves
from optuna.storages._heartbeat import get_heartbeat_thread
from optuna.trial import TrialState

from nengo_hpes.experiments.search_tasks import RULES, TASKS, check_rule, get_task

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
        The task's options (from `Task.parse_options`).
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


# -- workers


def _make_sampler(spec, sampler_seed):
    if spec["mode"] == "sweep":  # every parameter is fixed by the grid
        return optuna.samplers.RandomSampler(seed=sampler_seed)
    if spec["sampler"] == "random":
        return optuna.samplers.RandomSampler(seed=sampler_seed)
    with _quiet():  # constant_liar: parallel workers avoid each other's trials
        return optuna.samplers.TPESampler(seed=sampler_seed, constant_liar=True)


def _pop_waiting(study):
    """Claim one enqueued trial (as `optuna.Study.ask` does); None if none left."""
    storage = study._storage
    for trial in storage.get_all_trials(
        study._study_id, deepcopy=False, states=(TrialState.WAITING,)
    ):
        try:
            if storage.set_trial_state_values(trial._trial_id, TrialState.RUNNING):
                return trial._trial_id
        except optuna.exceptions.UpdateFinishedTrialError:
            continue
    return None


def _format_params(params):
    if not params:
        return "(rule defaults)"
    return ", ".join(f"{k}={v:.4g}" for k, v in params.items())


def _run_trial(study, trial_id, spec, worker, log):
    task = get_task(spec["task"])
    space = {k: json_to_distribution(v) for k, v in spec["space"].items()}
    names = list(spec["grid"]) if spec["mode"] == "sweep" else list(space)
    storage = study._storage
    # heartbeats from the start: a claimed trial without them is never freed
    heartbeat = get_heartbeat_thread(trial_id, storage)
    heartbeat.start()
    trial = seed = None
    t0 = time.perf_counter()
    try:
        try:
            trial = optuna.trial.Trial(study, trial_id)
            seed = storage.get_trial(trial_id).user_attrs["seed"]
            trial.set_user_attr("worker", worker)
            params = {}
            for name in names:
                d = space[name]
                params[name] = trial.suggest_float(name, d.low, d.high, log=d.log)
            loss = float(task.objective(spec["rule"], params, seed, **spec["options"]))
            if not math.isfinite(loss):
                raise FloatingPointError(f"the loss is {loss}")
        finally:
            heartbeat.join()
    except KeyboardInterrupt:
        # not the trial's fault: fail it and enqueue it again, as for a dead worker
        if trial is not None:  # (else it is left to go stale, then retried)
            frozen = study.tell(trial, state=TrialState.FAIL)
            with _quiet():
                storage.get_heartbeat_stale_trial_callback()(study, frozen)
        raise
    except Exception as e:  # the objective's error: recorded, the study goes on
        if trial is None:  # the storage's, not the trial's: it goes stale
            raise
        trial.set_user_attr("error", f"{type(e).__name__}: {e}")
        trial.set_user_attr("duration_s", time.perf_counter() - t0)
        study.tell(trial, state=TrialState.FAIL)
        log(f"[{worker}] trial {trial.number} seed {seed}: FAILED ({e})")
        return
    trial.set_user_attr("duration_s", time.perf_counter() - t0)
    study.tell(trial, loss)
    best = study.best_trial
    done = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    total = study.user_attrs.get(READY_ATTR, "?")
    log(
        f"[{worker}] trial {trial.number} {_format_params(params)} seed {seed}: "
        f"loss {loss:.5g} | best {best.value:.5g} (trial {best.number}) | "
        f"{done}/{total} complete"
    )


def run_worker(
    url,
    study_name,
    worker=None,
    heartbeat_interval=10,
    grace_period=None,
    max_retry=2,
    sampler_seed=None,
    poll=1.0,
    log=print,
):
    """
    Run a study's enqueued trials until none is left; return how many it ran.

    When no trial is waiting but some are still running (in other workers),
    the worker waits: if one of them stops sending heartbeats, this worker
    fails it, and the retry that this enqueues is run here.

    Parameters
    ----------
    url : str
        The storage URL.
    study_name : str
        An existing study made by `create_or_join`.
    worker : str, optional
        The worker's name in the trials' ``worker`` user attribute and the
        log (default ``host:pid``).
    heartbeat_interval, grace_period, max_retry
        See `open_storage`.
    sampler_seed : int, optional
        Seed of this worker's sampler.
    poll : float, optional
        Seconds between two looks at the running trials, when none is waiting.
    log : callable, optional
        Prints a line.
    """
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    storage = open_storage(url, heartbeat_interval, grace_period, max_retry)
    study = optuna.load_study(study_name=study_name, storage=storage)
    spec = study.user_attrs[SPEC_ATTR]
    study = optuna.load_study(
        study_name=study_name,
        storage=storage,
        sampler=_make_sampler(spec, sampler_seed),
    )
    n = 0
    waiting_for = None
    while True:
        with _quiet():
            fail_stale_trials(study)
        trial_id = _pop_waiting(study)
        if trial_id is not None:
            _run_trial(study, trial_id, spec, worker, log)
            n += 1
            continue
        running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        if not running:
            return n
        numbers = [t.number for t in running]
        if numbers != waiting_for:
            log(f"[{worker}] waiting for trials {numbers}, running elsewhere")
            waiting_for = numbers
        time.sleep(poll)


def _worker_main(url, study_name, index, kwargs):
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def log(line):
        print(line, flush=True)

    try:
        run_worker(url, study_name, log=log, **kwargs)
    except KeyboardInterrupt:  # its trial is enqueued again (see _run_trial)
        sys.exit(130)


# -- results


def _trial_record(t):
    return {
        "number": t.number,
        "state": t.state.name,
        "loss": t.value,
        "params": t.params,
        "seed": t.user_attrs.get("seed"),
        "retry_of": t.system_attrs.get("failed_trial"),
        "worker": t.user_attrs.get("worker"),
        "duration_s": t.user_attrs.get("duration_s"),
        "error": t.user_attrs.get("error"),
    }


def summarize(study):
    """
    A study's results as a JSON-compatible dict.

    Returns
    -------
    dict
        ``study``, ``spec``, ``counts`` (trials per state), ``best`` (number,
        loss, params and seed of the best trial, None if none completed) and
        ``trials`` (one record per trial, in order).
    """
    trials = study.get_trials(deepcopy=False)
    counts = {}
    for t in trials:
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    best = min(complete, key=lambda t: t.value) if complete else None
    return {
        "study": study.study_name,
        "spec": study.user_attrs.get(SPEC_ATTR),
        "counts": counts,
        "best": None if best is None else _trial_record(best),
        "trials": [_trial_record(t) for t in trials],
    }


def compare_studies(study_a, study_b, confidence=0.95):
    """
    Paired difference of the losses of two studies over their common seeds.

    For hPES against PES on the same seeds (two sweeps ``--seeds ...``): the
    trials are paired by seed, and `nengo_hpes.experiments.metrics.paired_difference`
    gives the mean of ``loss(a) - loss(b)`` and its Student-t interval.

    Parameters
    ----------
    study_a, study_b : `optuna.Study`
        Each with at most one complete trial per seed.
    confidence : float, optional
        Of the interval, in (0, 1).

    Returns
    -------
    dict
        ``a``, ``b`` (study names), ``seeds``, ``mean``, ``low``, ``high``,
        ``confidence``.
    """
    from nengo_hpes.experiments.metrics import paired_difference

    by_seed = []
    for study in (study_a, study_b):
        losses = {}
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            seed = t.user_attrs.get("seed")
            if seed in losses:
                raise ValidationError(
                    f"Study {study.study_name!r} has several trials with seed {seed}; "
                    f"pairing by seed needs one per seed (a sweep of one grid point)",
                    attr="compare",
                )
            losses[seed] = t.value
        by_seed.append(losses)
    seeds = sorted(set(by_seed[0]) & set(by_seed[1]))
    if len(seeds) < 2:
        raise ValidationError(
            f"Need at least 2 seeds complete in both {study_a.study_name!r} and "
            f"{study_b.study_name!r} (got {seeds})",
            attr="compare",
        )
    mean, low, high = paired_difference(
        [by_seed[0][s] for s in seeds], [by_seed[1][s] for s in seeds], confidence
    )
    return {
        "a": study_a.study_name,
        "b": study_b.study_name,
        "seeds": seeds,
        "mean": mean,
        "low": low,
        "high": high,
        "confidence": confidence,
    }


def plot_losses(summaries, path):
    """
    The loss distribution of each study (left) and loss against learning rate.

    Parameters
    ----------
    summaries : list of dict
        From `summarize`.
    path : str or pathlib.Path
        The image file.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4))
    rng = np.random.RandomState(0)
    labels = []
    for k, s in enumerate(summaries):
        done = [t for t in s["trials"] if t["state"] == "COMPLETE"]
        losses = [t["loss"] for t in done]
        labels.append(f"{s['study']}\n({len(losses)} trials)")
        if losses:
            ax0.boxplot([losses], positions=[k], widths=0.5, showfliers=False)
            ax0.plot(k + rng.uniform(-0.15, 0.15, len(losses)), losses, ".", alpha=0.6)
        rates = [
            (t["params"]["learning_rate"], t["loss"])
            for t in done
            if "learning_rate" in t["params"]
        ]
        if rates:
            ax1.plot(*zip(*rates), "o", alpha=0.6, label=s["study"])
    ax0.set_xticks(range(len(summaries)), labels)
    ax0.set_ylabel("loss")
    ax0.set_title("loss per study")
    ax1.set_xscale("log")
    ax1.set_xlabel("learning rate")
    ax1.set_ylabel("loss")
    ax1.set_title("loss against learning rate")
    if ax1.lines:
        ax1.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# -- the whole run


def _run_workers(url, study, workers, sampler_seed, kwargs, log):
    """Run the study's trials here (one worker) or in ``workers`` processes."""
    host = socket.gethostname()
    if workers == 1:
        run_worker(url, study, sampler_seed=sampler_seed, log=log, **kwargs)
    else:
        ctx = multiprocessing.get_context("spawn")
        procs = []
        for k in range(workers):
            kw = dict(
                kwargs, sampler_seed=None if sampler_seed is None else sampler_seed + k
            )
            procs.append(
                ctx.Process(target=_worker_main, args=(url, study, k, kw), daemon=False)
            )
        # one BLAS thread per worker (unless set): the workers are the parallelism
        saved = dict(os.environ)
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")
        try:
            for p in procs:
                p.start()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        try:
            for p in procs:
                p.join()
        except KeyboardInterrupt:  # Ctrl-C reached the workers too: let them
            for p in procs:  # put their trials back in the queue
                p.join()
            raise
        for k, p in enumerate(procs):
            if p.exitcode != 0:
                log(f"worker {k} ({host}:{p.pid}) exited with code {p.exitcode}")


def run_study(
    task,
    rule,
    study,
    storage="sqlite:///build/search.db",
    trials=None,
    workers=1,
    seed=0,
    grid=None,
    seeds=None,
    options=(),
    sampler="tpe",
    sampler_seed=None,
    heartbeat_interval=10,
    grace_period=None,
    max_retry=2,
    out="build/search",
    compare=None,
    confidence=0.95,
    log=print,
):
    """
    Create or join a study, run its trials in local worker processes, report.

    What the command line runs (see the module and ``docs/searches.md``).

    Parameters
    ----------
    task : str
        A registered task (`~nengo_hpes.experiments.search_tasks.TASKS`).
    rule : {"hpes", "pes"}
    study : str
        The study's name.
    storage : str, optional
        Database URL.
    trials : int, optional
        A search's number of trials (>= 1), over all workers and machines.
    workers : int, optional
        Local worker processes (>= 1).
    seed : int, optional
        A search's first seed (trial k has seed ``seed + k``), or a sweep's
        seed when ``seeds`` is not given.
    grid : dict or list of str, optional
        A sweep's parameter values, ``{"learning_rate": [1e-4, 3e-4]}`` or
        ``["learning_rate=1e-4,3e-4"]``.
    seeds : list of int, optional
        A sweep's seeds.
    options : dict or list of str, optional
        The task's options (``["learn_time=2"]``).
    sampler : {"tpe", "random"}, optional
        A search's sampler.
    sampler_seed : int, optional
        Seed of the samplers (worker k gets ``sampler_seed + k``).
    heartbeat_interval, grace_period, max_retry
        See `open_storage`.
    out : str or pathlib.Path, optional
        Folder of the JSON summary and the plot (``<study>.json``, ``<study>.png``).
    compare : str, optional
        Another study of the same storage: also report the paired difference
        ``loss(study) - loss(compare)`` over their common seeds.
    confidence : float, optional
        Of that interval.
    log : callable, optional

    Returns
    -------
    dict
        `summarize`'s dict, with ``comparison`` and the output ``files``.
    """
    task_obj = get_task(task)
    check_rule(rule)
    workers = _check_int("workers", workers, 1)
    sampler_seed = _check_int("sampler_seed", sampler_seed, 0, allow_none=True)
    if not (isinstance(confidence, float) and 0 < confidence < 1):
        raise ValidationError(
            f"Must be in (0, 1) (got {confidence!r})", attr="confidence"
        )
    opts = task_obj.parse_options(options)
    if grid is not None and not isinstance(grid, dict):
        grid = dict(_values(g) for g in grid)
    spec, evaluations = make_spec(
        task_obj, rule, opts, trials, seed, grid, seeds, sampler
    )
    st = open_storage(storage, heartbeat_interval, grace_period, max_retry)
    if compare is not None and compare not in optuna.get_all_study_names(st):
        raise ValidationError(
            f"Must be a study in {hide_password(storage)} (got {compare!r})",
            attr="compare",
        )
    study_obj, created = create_or_join(st, study, spec, evaluations)
    shown = hide_password(storage)
    log(
        f"{'created' if created else 'joined'} study {study!r} in {shown}: "
        f"{spec['mode']} of task {task!r}, rule {rule!r}, "
        f"{study_obj.user_attrs[READY_ATTR]} trials; {workers} worker(s)"
    )

    kwargs = dict(
        heartbeat_interval=heartbeat_interval,
        grace_period=grace_period,
        max_retry=max_retry,
    )
    _run_workers(storage, study, workers, sampler_seed, kwargs, log)

    summary = summarize(optuna.load_study(study_name=study, storage=st))
    summary["storage"] = shown
    summaries = [summary]
    if compare is not None:
        other = optuna.load_study(study_name=compare, storage=st)
        summary["comparison"] = compare_studies(
            optuna.load_study(study_name=study, storage=st), other, confidence
        )
        summaries.append(summarize(other))
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / f"{study}.json"
    png_path = out / f"{study}.png"
    summary["files"] = [str(json_path), str(png_path)]
    json_path.write_text(json.dumps(summary, indent=1) + "\n")
    plot_losses(summaries, png_path)
    _log_summary(summary, log)
    return summary


def _log_summary(summary, log):
    counts = ", ".join(f"{n} {state.lower()}" for state, n in summary["counts"].items())
    log(f"study {summary['study']!r}: {counts}")
    best = summary["best"]
    if best is not None:
        log(
            f"best: trial {best['number']} {_format_params(best['params'])} "
            f"seed {best['seed']}: loss {best['loss']:.5g}"
        )
    c = summary.get("comparison")
    if c is not None:
        log(
            f"loss({c['a']}) - loss({c['b']}) over {len(c['seeds'])} paired seeds: "
            f"{c['mean']:.4g} [{c['low']:.4g}, {c['high']:.4g}] "
            f"({c['confidence']:.0%} interval)"
        )
    log("wrote " + ", ".join(summary["files"]))


# -- command line


def parser():
    """The command-line parser."""
    p = argparse.ArgumentParser(
        prog="python -m nengo_hpes.experiments.search",
        description="Parameter searches (Optuna TPE) and seed sweeps of the hPES "
        "and PES rules, kept in a database that many workers share. "
        "Tasks: " + "; ".join(f"{t.name}: {t.description}" for t in TASKS.values()),
    )
    p.add_argument("--task", required=True, help=f"one of {sorted(TASKS)}")
    p.add_argument("--rule", required=True, help=f"one of {RULES}")
    p.add_argument("--study", required=True, help="the study's name")
    p.add_argument(
        "--storage",
        default="sqlite:///build/search.db",
        help="database URL (default %(default)s; postgresql://user:pw@host/db to "
        "share a study between machines)",
    )
    p.add_argument("--trials", type=int, help="a search's number of trials, in all")
    p.add_argument("--workers", type=int, default=1, help="local worker processes")
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="a search's first seed (trial k gets seed + k); a sweep's seed "
        "without --seeds",
    )
    p.add_argument(
        "--seeds", type=int, nargs="+", help="sweep: the seeds of each grid point"
    )
    p.add_argument(
        "--grid",
        action="append",
        metavar="NAME=V1,V2",
        help="sweep: values of a parameter (repeat for several)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        dest="options",
        metavar="NAME=VALUE",
        help="a task option (repeat for several)",
    )
    p.add_argument("--sampler", default="tpe", help=f"one of {SAMPLERS}")
    p.add_argument("--sampler-seed", type=int, help="seed of the samplers")
    p.add_argument(
        "--heartbeat-interval", type=int, default=10, help="seconds (default 10)"
    )
    p.add_argument(
        "--grace-period",
        type=int,
        help="seconds without a heartbeat before a trial is retried "
        "(default: twice the interval)",
    )
    p.add_argument(
        "--max-retry", type=int, default=2, help="retries of a trial (default 2)"
    )
    p.add_argument("--out", default="build/search", help="folder of JSON and plot")
    p.add_argument("--compare", metavar="STUDY", help="paired difference with STUDY")
    p.add_argument("--confidence", type=float, default=0.95)
    return p


def main(argv=None):
    """Run the command line; return its exit status."""
    args = parser().parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def log(line):
        print(line, flush=True)

    try:
        summary = run_study(
            task=args.task,
            rule=args.rule,
            study=args.study,
            storage=args.storage,
            trials=args.trials,
            workers=args.workers,
            seed=args.seed,
            grid=args.grid,
            seeds=args.seeds,
            options=args.options,
            sampler=args.sampler,
            sampler_seed=args.sampler_seed,
            heartbeat_interval=args.heartbeat_interval,
            grace_period=args.grace_period,
            max_retry=args.max_retry,
            out=args.out,
            compare=args.compare,
            confidence=args.confidence,
            log=log,
        )
    except (ValidationError, StorageError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "interrupted: the running trials are enqueued again; run the same "
            "command to go on",
            file=sys.stderr,
        )
        return 130
    left = {k: n for k, n in summary["counts"].items() if k in ("WAITING", "RUNNING")}
    if left:
        log(f"not finished: {left}; run the command again to go on")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
