"""
NengoDL backend of the hPES rule (imports TensorFlow).

The third layer: it imports `nengo_hpes.builder`, never the other way round.
Importing it registers

* `.SimHPESBuilder` for `.SimHPES` with ``nengo_dl.builder.Builder`` (exact
  type lookup); it merges every `.SimHPES` with the same number of pre neurons,
  whatever their rates, ratios, scales, gains and numbers of post neurons;
* `.build_hpes` for `.HPES` with ``nengo_dl.builder.NengoBuilder`` (used by
  ``nengo_dl.Simulator``): the reference build function with its `.RankOneInc`
  turned into nengo's ``ElementwiseInc``;
* `.RankOneIncBuilder` for `.RankOneInc`, which reaches NengoDL when a model
  built by nengo's own builder is simulated
  (``nengo_dl.Simulator(net, model=nengo.builder.Model())``).

`nengo_hpes.dl_hook` imports this module when ``nengo_dl`` is imported.
NengoDL keeps ``theta_init``: its ``Lowpass`` builder keeps the output signal's
initial value, its ``LinearFilter`` builder the state made by
``make_state(y0=...)``. ``mark_signals`` makes the learned weights
non-trainable and minibatched from ``conn.learning_rule`` alone, exactly as for
`nengo.PES`.
"""

import numpy as np
import tensorflow as tf
from nengo.builder.operator import ElementwiseInc
from nengo.exceptions import BuildError
from nengo_dl.builder import Builder, NengoBuilder, OpBuilder

from nengo_hpes import builder
from nengo_hpes.builder import RankOneInc, SimHPES
from nengo_hpes.learning_rules import HPES


def _outer(column, rows, n_rows, n_cols):
    """
    Outer products of merged operators, stacked along the row axis.

    ``column`` holds ``sum(n_rows)`` values (shape ``(minibatch, sum(n_rows))``,
    or ``(sum(n_rows),)`` without a minibatch) and ``rows`` one row vector of
    ``n_cols`` values per operator; returns ``outer(column_k, row_k)`` for each
    operator ``k``, stacked: shape ``(..., sum(n_rows), n_cols)``.
    """
    n_ops = len(n_rows)
    batch = tuple(column.shape[:-1])
    if all(n == n_rows[0] for n in n_rows):
        # broadcast, without repeating the rows in memory
        column = tf.reshape(column, batch + (n_ops, n_rows[0], 1))
        rows = tf.reshape(rows, batch + (n_ops, 1, n_cols))
        return tf.reshape(column * rows, batch + (n_ops * n_rows[0], n_cols))
    rows = tf.repeat(tf.reshape(rows, batch + (n_ops, n_cols)), n_rows, axis=-2)
    return column[..., None] * rows


@Builder.register(SimHPES)
class SimHPESBuilder(OpBuilder):
    """Build a group of `.SimHPES` operators."""

    def build_pre(self, signals, config):
        super().build_pre(signals, config)
        ops = self.ops
        self.n_pre = ops[0].pre_filtered.shape[0]
        self.n_post = [op.post_filtered.shape[0] for op in ops]

        self.pre_data = signals.combine([op.pre_filtered for op in ops])
        self.post_data = signals.combine([op.post_filtered for op in ops])
        self.num_data = signals.combine([op.theta_num for op in ops])
        self.den_data = signals.combine([op.theta_den for op in ops])
        self.error_data = signals.combine([op.local_error for op in ops])
        self.theta_data = signals.combine([op.theta for op in ops])
        self.post_factor_data = signals.combine([op.post_factor for op in ops])
        self.pre_factor_data = signals.combine([op.pre_factor for op in ops])
        self.floor = tf.constant(builder.THETA_FLOOR, dtype=signals.dtype)

        # the reference coefficients (float64, same order of operations), one
        # value per post neuron; built here rather than with
        # `signals.op_constant`, which treats values within np.allclose as equal
        coefs = [op.coefficients(signals.dt_val, self.n_pre) for op in ops]
        sup = np.concatenate([np.full(n, c[0]) for n, c in zip(self.n_post, coefs)])
        unsup = np.concatenate([c[1] for c in coefs]).astype(signals.dtype.name)
        self.sup = tf.constant(sup, dtype=signals.dtype)
        self.unsup = tf.constant(unsup, dtype=signals.dtype)
        self.has_unsup = bool(np.any(unsup != 0))

        # delta is only filled if something reads it (as in SimHPES.make_step);
        # one op of the group needing it fills it for the whole group
        self.delta_data = None
        if any(
            op.delta_needed() if callable(op.delta_needed) else op.delta_needed
            for op in ops
        ):
            self.delta_data = signals.combine([op.delta for op in ops])

    def build_step(self, signals):
        pre = signals.gather(self.pre_data)
        post = signals.gather(self.post_data)
        error = signals.gather(self.error_data)
        num = signals.gather(self.num_data)
        den = signals.gather(self.den_data)

        # same order of operations as SimHPES.make_step, so float64 is exact
        theta = num / tf.maximum(den, self.floor)
        signals.scatter(self.theta_data, theta)
        v = error * self.sup
        if self.has_unsup:
            v += self.unsup * post * (post - theta)
        signals.scatter(self.post_factor_data, v)
        signals.scatter(self.pre_factor_data, pre)
        if self.delta_data is not None:
            signals.scatter(self.delta_data, _outer(v, pre, self.n_post, self.n_pre))

    @staticmethod
    def mergeable(x, y):
        # the pre activities are broadcast along each op's post neurons, so they
        # need the same size; everything else is per post neuron
        return x.pre_filtered.shape[0] == y.pre_filtered.shape[0]


@Builder.register(RankOneInc)
class RankOneIncBuilder(OpBuilder):
    """Build a group of `.RankOneInc` operators."""

    def build_pre(self, signals, config):
        super().build_pre(signals, config)
        self.n_rows = [op.x.shape[0] for op in self.ops]
        self.n_cols = self.ops[0].y.shape[0]
        self.x_data = signals.combine([op.x for op in self.ops])
        self.y_data = signals.combine([op.y for op in self.ops])
        self.target_data = signals.combine([op.target for op in self.ops])
        operands_batched = self.x_data.minibatched or self.y_data.minibatched
        if operands_batched and not self.target_data.minibatched:
            raise BuildError(
                "RankOneInc: the target must be minibatched when its factors are "
                f"(target {self.ops[0].target})"
            )

    def build_step(self, signals):
        x = signals.gather(self.x_data)
        y = signals.gather(self.y_data)
        if self.target_data.minibatched:
            mb = signals.minibatch_size
            x = tf.broadcast_to(x, (mb, x.shape[-1]))
            y = tf.broadcast_to(y, (mb, y.shape[-1]))
        signals.scatter(
            self.target_data, _outer(x, y, self.n_rows, self.n_cols), mode="inc"
        )

    @staticmethod
    def mergeable(x, y):
        # the row factors are broadcast along each op's rows
        return x.y.shape[0] == y.y.shape[0]


@NengoBuilder.register(HPES)
def build_hpes(model, hpes, rule):
    """
    Builds an `.HPES` object into a NengoDL model.

    Runs the reference `nengo_hpes.builder.build_hpes`, then replaces its
    `.RankOneInc` with nengo's ``ElementwiseInc`` of the same signals (a column
    ``(n_post, 1)`` times a row ``(1, n_pre)``): the same increment, which
    NengoDL's graph optimizer knows (for `.RankOneInc` it warns "Unknown incer
    type ... in remove_reset_incs").

    Parameters
    ----------
    model : Model
        The model to build into.
    hpes : HPES
        Learning rule type to build.
    rule : LearningRule
        The learning rule object corresponding to the neuron type.

    Notes
    -----
    Does not modify ``model.params[]`` and can therefore be called
    more than once with the same `.HPES` instance.
    """
    builder.build_hpes(model, hpes, rule)
    weights = model.sig[rule.connection]["weights"]
    for k in range(len(model.operators) - 1, -1, -1):
        op = model.operators[k]
        if type(op) is RankOneInc and op.target is weights:
            model.operators[k] = ElementwiseInc(
                op.x.reshape((op.x.size, 1)),
                op.y.reshape((1, op.y.size)),
                op.target,
                tag=op.tag,
            )
            break
