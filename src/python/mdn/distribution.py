"""Predictive distributions as objects: :class:`MixtureDistribution`."""

from __future__ import annotations

import numbers

import numpy as np

from . import _core, _params

__all__ = ["MixtureDistribution"]


def _readonly(a):
    """A read-only float64 C-order copy: the object's parameters cannot change under it."""
    a = np.array(a, dtype=np.float64, order="C", copy=True)
    a.setflags(write=False)
    return a


class MixtureDistribution:
    """Gaussian mixtures, one per row: p(y | x) = sum_k alpha_k N(y | mu_k, diag(sigma_k^2)),
    or with full covariance sum_k alpha_k N(y | mu_k, A_k A_k^T).

    What :meth:`MDNRegressor.predict_dist` returns: the predictive
    distribution of every row of X, in original units, as one light object
    over the mixture parameters. Every method is computed by the library
    (the ``mdn`` program's code, no scipy) and gives what the estimator's
    method of the same meaning gives: ``mean()`` is ``predict``, ``std()``
    ``predict_std``, ``ppf(q)`` ``predict_quantiles``, ``interval(level)``
    ``predict_interval``, ``modes()`` ``predict_modes``, ``logpdf(y)``
    ``score_samples``, ``cdf(y)`` ``cdf``, ``sample`` ``sample``.

    It can also be made from arrays (for example the ``--params`` columns of
    ``mdn predict``).

    Parameters
    ----------
    alpha : array-like of shape (n, K)
        Component weights of each row, >= 0 and not all 0 (they are
        normalised to sum to 1).
    mu : array-like of shape (n, K) or (n, K, T)
        Component means. (n, K): one target, and every method returns one
        value per row where it would return one per target (the shapes of an
        estimator fitted on a 1-D y). (n, K, T): T targets (T may be 1).
    sigma : array-like, the shape of mu, or None
        Component standard deviations, > 0 (with ``scale_tril``: each
        target's marginal one, the norm of the factor's row; None computes
        them from it).
    knots : sequence of array-like, optional
        A recalibration (one target only): the knots G(j / M) of the
        monotone PIT map G, from 0 to 1, strictly increasing, one list per
        target — what ``MDNRegressor.recalibration_`` holds. The distribution
        is then G(F(y)) instead of the mixture's F(y), and every method
        follows it (the density carries the map's slope). None: the mixture.
    transforms : sequence of (str, float), optional
        Target transforms (``MDNRegressor(target_transform=)``), one
        ``(name, lambda)`` per target, name "none", "log" or "yeo-johnson":
        the mixture is then over u = g(y) and every method answers in y
        (docs/TRAINING.md, "Target transforms"); the PIT map applies on top.
        None: no transform.
    scale_tril : array-like of shape (n, K, T, T), optional
        Full covariance (``MDNRegressor(covariance="full")``, whose
        ``predict_mixture`` gives it): each component's lower-triangular
        Cholesky factor A, covariance A A^T, diagonal > 0, zeros above it
        (torch's ``MultivariateNormal(scale_tril=)``); T >= 2, a 3-D mu, and
        neither knots nor transforms. ``logpdf``/``pdf`` and ``sample`` are
        then of the correlated joint distribution, the per-target methods of
        the exact marginals (target d: a mixture of N(mu_kd, sigma_kd^2)),
        and ``modes()`` and ``cdf(joint=True)`` are refused. None: diagonal.

    Attributes
    ----------
    alpha, mu, sigma : ndarray, float64, read-only
        The parameters, in the shapes given.
    n_components : int
        K.
    n_targets : int
        T (1 for a 2-D mu).
    knots : list of ndarray
        The PIT map's knots per target (empty: not recalibrated).
    scale_tril : ndarray or None
        The covariance factors (n, K, T, T), None for diagonal components.

    Notes
    -----
    Shapes: below, ``n`` is ``len(dist)``; "per target" results are (n,) for
    one target given as a 2-D mu and (n, T) otherwise. ``dist[i]`` (an int)
    is the distribution of one row, whose results drop the row axis;
    ``dist[a:b]``, ``dist[mask]`` and ``dist[[i, j]]`` keep it. The
    functions of several targets (``logpdf``, ``pdf``, ``cdf(joint=True)``,
    ``modes``) are of the joint distribution; ``mean``, ``std``, ``var``,
    ``ppf``, ``cdf`` and ``interval`` are of each target's marginal, and
    ``marginal(d)`` is target d's marginal as a distribution of its own.
    Values y may hold NaN (giving NaN) and +-infinity (the limits).

    Examples
    --------
    >>> dist = model.predict_dist(X[:3])            # doctest: +SKIP
    >>> dist.mean(), dist.ppf([0.05, 0.95])          # doctest: +SKIP
    >>> dist[0].cdf(0.5), dist.logpdf(y[:3])         # doctest: +SKIP
    """

    def __init__(self, alpha, mu, sigma, knots=None, transforms=None, scale_tril=None):
        alpha = np.asarray(alpha, dtype=np.float64)
        mu = np.asarray(mu, dtype=np.float64)
        tril = None if scale_tril is None else np.asarray(scale_tril, dtype=np.float64)
        if tril is not None:
            if mu.ndim != 3 or tril.shape != mu.shape + mu.shape[-1:]:
                raise ValueError(f"scale_tril must be (n, K, T, T) for mu (n, K, T) (got {tril.shape} for mu "
                                 f"{mu.shape})")
            norms = np.sqrt(np.einsum("nkij,nkij->nki", tril, tril))
            if sigma is None:
                sigma = norms
            elif not np.allclose(sigma, norms, rtol=1e-6, atol=0.0):
                raise ValueError("sigma must be the norms of scale_tril's rows (each target's marginal standard "
                                 "deviation); pass sigma=None to compute them")
        elif sigma is None:
            raise ValueError("sigma is needed (None only with scale_tril)")
        sigma = np.asarray(sigma, dtype=np.float64)
        if alpha.ndim != 2 or mu.ndim not in (2, 3) or sigma.shape != mu.shape:
            raise ValueError(
                f"alpha must be (n, K) and mu and sigma both (n, K) or (n, K, T) (got {alpha.shape}, {mu.shape}, "
                f"{sigma.shape})"
            )
        self._vector = mu.ndim == 3
        self._alpha = _readonly(alpha)
        self._mu = _readonly(mu if self._vector else mu[:, :, None])
        self._sigma = _readonly(sigma if self._vector else sigma[:, :, None])
        self._row = False  # True for dist[i]: results drop the row axis
        self._knots = [] if knots is None else [_readonly(np.array(k, dtype=np.float64)) for k in knots]
        self._transforms = [] if transforms is None else [(str(n), float(l)) for n, l in transforms]
        self._tril = None if tril is None else _readonly(tril)
        _core.mixture_check(*self._arrays())

    @classmethod
    def _of(cls, alpha, mu, sigma, vector, row=False, knots=(), transforms=(), tril=None):
        """An instance from checked arrays (no copy, no check)."""
        dist = cls.__new__(cls)
        dist._alpha, dist._mu, dist._sigma, dist._vector, dist._row = alpha, mu, sigma, vector, row
        dist._knots = list(knots)
        dist._transforms = list(transforms)
        dist._tril = tril
        return dist

    # ---- the parameters ------------------------------------------------------------

    @property
    def alpha(self):
        return self._alpha[0] if self._row else self._alpha

    @property
    def mu(self):
        mu = self._mu if self._vector else self._mu[:, :, 0]
        return mu[0] if self._row else mu

    @property
    def sigma(self):
        sigma = self._sigma if self._vector else self._sigma[:, :, 0]
        return sigma[0] if self._row else sigma

    @property
    def knots(self):
        return list(self._knots)

    @property
    def scale_tril(self):
        if self._tril is None:
            return None
        return self._tril[0] if self._row else self._tril

    @property
    def n_components(self):
        return self._alpha.shape[1]

    @property
    def n_targets(self):
        return self._mu.shape[2]

    def _arrays(self):
        """The parameters as the library's functions take them: C order (a
        slice with a step, or one target's marginal, is copied here)."""
        arrays = tuple(np.ascontiguousarray(a) for a in (self._alpha, self._mu, self._sigma))
        tril = None if self._tril is None else np.ascontiguousarray(self._tril)
        return arrays + (([k.tolist() for k in self._knots], list(self._transforms), tril),)

    # ---- rows ----------------------------------------------------------------------

    def __len__(self):
        if self._row:
            raise TypeError("the distribution of one row has no len()")
        return self._alpha.shape[0]

    def __getitem__(self, index):
        if self._row:
            raise IndexError("the distribution of one row cannot be indexed")
        if isinstance(index, tuple):
            raise IndexError("a MixtureDistribution is indexed by rows only (one index)")
        one = isinstance(index, (numbers.Integral, np.integer)) and not isinstance(index, (bool, np.bool_))
        rows = [index] if one else index
        try:
            alpha, mu, sigma = self._alpha[rows], self._mu[rows], self._sigma[rows]
            tril = None if self._tril is None else self._tril[rows]
        except IndexError as e:
            raise IndexError(f"{e} (the distribution has {len(self)} rows)") from None
        if alpha.ndim != 2:
            raise IndexError(f"rows must be an int, a slice, a boolean mask or integer indices (got {index!r})")
        for a in (alpha, mu, sigma) + (() if tril is None else (tril,)):
            a.setflags(write=False)
        return MixtureDistribution._of(alpha, mu, sigma, self._vector, one, self._knots, self._transforms, tril)

    def __repr__(self):
        rows = "1 row (indexed)" if self._row else f"{len(self)} rows"
        targets = f"{self.n_targets} targets" if self._vector else "1 target"
        recalibrated = ", recalibrated" if self._knots else ""
        full = ", full covariance" if self._tril is not None else ""
        return f"MixtureDistribution({rows}, {self.n_components} components, {targets}{full}{recalibrated})"

    def __reduce__(self):
        return (_restore, (self._alpha, self._mu, self._sigma, self._vector, self._row, self._knots,
                           self._transforms, self._tril))

    # ---- shapes in and out -------------------------------------------------------------

    def _finish(self, a, per_target):
        """Drops the target axis (axis 1) for one target given as a 2-D mu,
        and the row axis of dist[i]."""
        if per_target and not self._vector:
            a = a[:, 0]
        return a[0] if self._row else a

    def _values(self, y):
        """y broadcast to the rows and targets: (n, T), float64, C order."""
        try:
            y = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"y must be numeric (got {y!r})") from None
        n, T = self._alpha.shape[0], self.n_targets
        per_row = (T,) if self._vector else ()
        want = per_row if self._row else (n,) + per_row
        try:
            y = np.broadcast_to(y, want)
        except ValueError:
            raise ValueError(
                f"y has shape {y.shape}; values of shape {want} (or one that broadcasts to it) were expected"
            ) from None
        return np.ascontiguousarray(y.reshape(n, T))

    # ---- moments, quantiles, intervals, modes ----------------------------------------

    def mean(self):
        """Mean of each target's marginal, per target (``predict``)."""
        mean, _ = _core.mixture_moments(*self._arrays())
        return self._finish(mean, True)

    def std(self):
        """Standard deviation of each target's marginal, per target (``predict_std``)."""
        _, std = _core.mixture_moments(*self._arrays())
        return self._finish(std, True)

    def var(self):
        """Variance of each target's marginal, per target (``std() ** 2``)."""
        return self.std() ** 2

    def ppf(self, q):
        """Quantiles of each target's marginal (the inverse of ``cdf``; ``predict_quantiles``).

        Parameters
        ----------
        q : float or sequence of float
            Levels in (0, 1), no repeats, the same for every row.

        Returns
        -------
        ndarray
            A scalar q: per target, (n,) or (n, T). A sequence of L levels:
            (n, L) or (n, T, L). Quantiles increase with the level.
        """
        scalar = np.ndim(q) == 0
        try:
            levels = np.atleast_1d(np.asarray(q, dtype=np.float64))
        except (TypeError, ValueError):
            levels = None
        if levels is None or levels.ndim != 1:
            raise ValueError(f"q must be a number or a sequence of numbers in (0, 1) (got {q!r})")
        levels = [float(v) for v in levels]
        quantiles = _core.mixture_quantiles(*self._arrays(), levels)
        quantiles = self._finish(quantiles, True)
        return quantiles[..., 0] if scalar else quantiles

    def interval(self, level=0.9):
        """Highest-density region of each target's marginal (``predict_interval``).

        The smallest set holding probability ``level``: one interval for a
        unimodal marginal, up to K disjoint ones for a multimodal one. (The
        equal-tailed interval is ``ppf([(1 - level) / 2, (1 + level) / 2])``.)

        Returns
        -------
        ndarray
            (n, K, 2) for one target given as a 2-D mu, (n, T, K, 2)
            otherwise: sorted [lower, upper] ends, NaN past the last interval.
        """
        ends = _core.mixture_regions(*self._arrays(), _params.number("level", level))
        return self._finish(ends, True)

    def modes(self):
        """Every mode of the (joint) density, highest first (``predict_modes``).

        Returns
        -------
        modes : ndarray
            (n, K) for one target given as a 2-D mu, (n, K, T) otherwise; NaN
            past the row's last mode.
        densities : ndarray of shape (n, K)
            The density at each mode.
        """
        if self._tril is not None:
            raise ValueError("modes() of full-covariance components (scale_tril) are not supported yet; the "
                             "per-target methods (mean, std, ppf, interval) are")
        location, density = _core.mixture_modes(*self._arrays())
        if not self._vector:
            location = location[:, :, 0]
        return (location[0], density[0]) if self._row else (location, density)

    # ---- densities and probabilities ------------------------------------------------

    def logpdf(self, y):
        """log p(y | x) of the joint density at y, per row (``score_samples``).

        Parameters
        ----------
        y : array-like
            (n,) for one target given as a 2-D mu, (n, T) otherwise, or
            anything that broadcasts to it (a scalar: the same y for every row).

        Returns
        -------
        ndarray of shape (n,)
            -inf where the density underflows to 0.
        """
        return self._finish(_core.mixture_logpdf(*self._arrays(), self._values(y)), False)

    def pdf(self, y):
        """p(y | x), the joint density at y, per row: ``exp(logpdf(y))``."""
        return np.exp(self.logpdf(y))

    def cdf(self, y, joint=False):
        """The CDF at y: each target's marginal, or the joint one (``cdf``).

        Parameters
        ----------
        y : array-like
            As for :meth:`logpdf`.
        joint : bool, default=False
            False: F_d(y_d | x) of every target's marginal, per target (what
            ``ppf`` inverts: ``cdf(ppf(q)) == q``). True: the joint
            P(t_1 <= y_1, ..., t_T <= y_T | x), per row (the same as the
            marginal for one target).

        Returns
        -------
        ndarray
            joint=False: per target, (n,) or (n, T); joint=True: (n,).
        """
        joint = _params.flag("joint", joint)
        out = _core.mixture_cdf(*self._arrays(), self._values(y), joint)
        return self._finish(out, not joint)

    def marginal(self, target):
        """The marginal distribution of one target, as a one-target distribution.

        Parameters
        ----------
        target : int
            Its index, 0 to T - 1 (negative counts from the end).

        Returns
        -------
        MixtureDistribution
            Same rows and weights, mu and sigma of that target, 2-D.
        """
        T = self.n_targets
        d = _params.integer("target", target)
        if not -T <= d < T:
            raise ValueError(f"target must be in [{-T}, {T}) for {T} target(s) (got {target})")
        mu, sigma = self._mu[:, :, d % T : d % T + 1], self._sigma[:, :, d % T : d % T + 1]
        knots = self._knots[d % T : d % T + 1]
        transforms = self._transforms[d % T : d % T + 1]
        # A full-covariance marginal is the diagonal mixture of sigma_d (the factor's row norm): no factor.
        return MixtureDistribution._of(self._alpha, mu, sigma, False, self._row, knots, transforms)

    # ---- draws -------------------------------------------------------------------------

    def sample(self, n_samples=1, random_state=None):
        """Draw from each row's distribution (``sample`` of the estimator).

        Parameters
        ----------
        n_samples : int, default=1
            Draws per row.
        random_state : int, RandomState instance or None, default=None
            An int is the library's seed: a draw depends only on it, the
            row's position in this object and the draw's index. So on the CPU
            ``model.predict_dist(X).sample(S, s)`` equals
            ``model.sample(X, S, s)``.

        Returns
        -------
        ndarray of shape (n, n_samples, T)
            (n_samples, T) for ``dist[i]``.
        """
        samples = _params.integer("n_samples", n_samples)
        draws = _core.mixture_sample(*self._arrays(), samples, _params.seed(random_state))
        return draws[0] if self._row else draws


def _restore(alpha, mu, sigma, vector, row, knots=(), transforms=(), tril=None):
    for a in (alpha, mu, sigma) + (() if tril is None else (tril,)):
        a.setflags(write=False)
    return MixtureDistribution._of(alpha, mu, sigma, vector, row, knots, transforms, tril)
