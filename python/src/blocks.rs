//! Per-block functions for `kmeans_roofline.dask`: one Dask task runs one of these on
//! one block of rows, and the client combines the small results.
//!
//! Every function works on a block as the in-process fit works on the whole data:
//! rows cut into chunks of [`CHUNK_ROWS`] counted from the block's first row, each
//! chunk assigned by the library's kernel ([`Flat`], [`Layout::assign`]) and
//! accumulated in row order. Where the client needs the in-process fit's exact sums,
//! a function returns one result per chunk (the client folds them in chunk order, as
//! the library's `Work::waves` does); so a block that starts on a multiple of
//! [`CHUNK_ROWS`] gives bit for bit the in-process chunks. The GIL is released while
//! a block is computed.

use kernels::distance::{dist2, max_magnitude};
use kernels::fit::CHUNK_ROWS;
use kernels::kernel::{assign_block, Block};
use kernels::rng::Rng;
use kernels::{Centers, Exec, Flat, Init, KernelChoice, Layout, Partial};
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Two 1-D arrays returned together.
type Pair<'py, A, B> = (Bound<'py, PyArray1<A>>, Bound<'py, PyArray1<B>>);

/// A 2-D C-contiguous float64 array as `(values, n, d)`.
fn rows<'a>(x: &'a PyReadonlyArray2<'_, f64>) -> PyResult<(&'a [f64], usize, usize)> {
    let s = x.shape();
    let v = x
        .as_slice()
        .map_err(|_| PyValueError::new_err("the block must be a C-contiguous float64 array"))?;
    Ok((v, s[0], s[1]))
}

/// The centers (`k × d`) with the kernels' derived copies.
fn centers_of(c: &PyReadonlyArray2<'_, f64>, d: usize) -> PyResult<Centers> {
    let (v, k, dc) = rows(c)?;
    if dc != d {
        return Err(PyValueError::new_err(format!(
            "centers have {dc} features, the block has {d}"
        )));
    }
    let mut centers = Centers::new(k, d);
    centers.set(v);
    Ok(centers)
}

/// Optional weights of a block of `n` rows.
fn weights_of<'a>(
    w: &'a Option<PyReadonlyArray1<'_, f64>>,
    n: usize,
) -> PyResult<Option<&'a [f64]>> {
    match w {
        None => Ok(None),
        Some(w) => {
            let s = w.as_slice()?;
            if s.len() != n {
                return Err(PyValueError::new_err(format!(
                    "{} weights for a block of {n} rows",
                    s.len()
                )));
            }
            Ok(Some(s))
        }
    }
}

/// Previous labels of a block (`u32::MAX` for "none yet", so every row counts as
/// changed in the first pass, as in the in-process fit).
fn labels_of(prev: &Option<PyReadonlyArray1<'_, u32>>, n: usize) -> PyResult<Vec<u32>> {
    match prev {
        None => Ok(vec![u32::MAX; n]),
        Some(p) => {
            let s = p.as_slice()?;
            if s.len() != n {
                return Err(PyValueError::new_err(
                    "previous labels do not match the block",
                ));
            }
            Ok(s.to_vec())
        }
    }
}

/// Largest squared row norm of `x` (`d` columns), as [`Flat::from_slice`] computes
/// it: the SIMD kernel's near-tie margin.
fn xmax_of(x: &[f64], d: usize) -> f64 {
    x.chunks_exact(d.max(1))
        .map(|r| r.iter().map(|v| v * v).sum::<f64>())
        .fold(0.0, f64::max)
}

/// Assigns the rows `x` of one chunk (labels `lab`, previous on entry) into `part`
/// (cleared first): sums and counts in row order, as the in-process Lloyd pass
/// ([`assign_block`] is what [`Layout::assign`] runs on the flat layout).
fn assign_chunk(b: Block<'_>, lab: &mut [u32], weights: Option<&[f64]>, part: &mut Partial) {
    part.clear();
    match weights {
        None => assign_block(b, lab, part, true),
        Some(w) => {
            assign_block(b, lab, part, false);
            for ((row, &l), &w) in b.x.chunks_exact(b.d).zip(lab.iter()).zip(w) {
                part.add_weighted(l as usize, row, w);
            }
        }
    }
}

/// One Lloyd assignment of a block: `(labels uint32 (n,), partials, changed,
/// xmax)`; pass `xmax` back in the next iterations to skip its pass over the block.
/// `partials` is `m × (k·d + k)` (sums then counts): one row per chunk of
/// [`CHUNK_ROWS`] when `per_chunk`, else one row, the chunks folded in order
/// (starting from zero, as the in-process total).
#[pyfunction]
#[pyo3(signature = (x, centers, prev_labels, weights, per_chunk, xmax=None))]
#[allow(clippy::type_complexity)]
pub(crate) fn block_assign<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    centers: PyReadonlyArray2<'py, f64>,
    prev_labels: Option<PyReadonlyArray1<'py, u32>>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
    per_chunk: bool,
    xmax: Option<f64>,
) -> PyResult<(
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray2<f64>>,
    usize,
    f64,
)> {
    let (v, n, d) = rows(&x)?;
    let c = centers_of(&centers, d)?;
    let w = weights_of(&weights, n)?;
    let mut labels = labels_of(&prev_labels, n)?;
    let k = c.k();
    let width = k * d + k;
    let n_chunks = n.div_ceil(CHUNK_ROWS);
    let (out, changed, xmax) = py.detach(|| {
        let xmax = xmax.unwrap_or_else(|| xmax_of(v, d));
        let mut part = Partial::new(k, d);
        let mut total = Partial::new(k, d);
        let mut out = Vec::with_capacity(if per_chunk { n_chunks * width } else { width });
        let mut changed = 0;
        for (c_i, lab) in labels.chunks_mut(CHUNK_ROWS).enumerate() {
            let s = c_i * CHUNK_ROWS;
            let block = Block {
                choice: KernelChoice::Auto,
                x: &v[s * d..(s + lab.len()) * d],
                d,
                centers: &c,
                xmax,
            };
            assign_chunk(block, lab, w.map(|w| &w[s..s + lab.len()]), &mut part);
            changed += part.changed;
            if per_chunk {
                out.extend_from_slice(&part.sums);
                out.extend_from_slice(&part.counts);
            } else {
                total.merge(&part);
            }
        }
        if !per_chunk {
            out.extend_from_slice(&total.sums);
            out.extend_from_slice(&total.counts);
        }
        (out, changed, xmax)
    });
    let m = out.len() / width.max(1);
    let parts = out.into_pyarray(py).reshape([m, width])?;
    Ok((labels.into_pyarray(py), parts, changed, xmax))
}

/// The inertia of a block per chunk of [`CHUNK_ROWS`] (`Σ w·dist2` in row order),
/// after the final label pass when `relabel` (else with `labels` as they are):
/// `(labels uint32 (n,), inertia per chunk)`, as the in-process fit's last pass.
#[pyfunction]
#[pyo3(signature = (x, centers, labels, weights, relabel))]
pub(crate) fn block_inertia<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    centers: PyReadonlyArray2<'py, f64>,
    labels: Option<PyReadonlyArray1<'py, u32>>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
    relabel: bool,
) -> PyResult<Pair<'py, u32, f64>> {
    let (v, n, d) = rows(&x)?;
    let c = centers_of(&centers, d)?;
    let w = weights_of(&weights, n)?;
    let mut labels = labels_of(&labels, n)?;
    if !relabel && labels.iter().any(|&l| l as usize >= c.k()) {
        return Err(PyValueError::new_err("labels out of range for the centers"));
    }
    let sums = py.detach(|| {
        let flat = Flat::from_slice(v, n, d, KernelChoice::Auto);
        let mut none = Partial::new(0, 0);
        let mut sums = Vec::with_capacity(n.div_ceil(CHUNK_ROWS));
        for (c_i, lab) in labels.chunks_mut(CHUNK_ROWS).enumerate() {
            let s = c_i * CHUNK_ROWS;
            if relabel {
                flat.assign(s..s + lab.len(), &c, lab, &mut none, false);
            }
            let mut acc = 0.0;
            for (i, &l) in (s..).zip(lab.iter()) {
                let dd = dist2(&v[i * d..(i + 1) * d], c.row(l as usize));
                acc += match w {
                    Some(w) => w[i] * dd,
                    None => dd,
                };
            }
            sums.push(acc);
        }
        sums
    });
    Ok((labels.into_pyarray(py), sums.into_pyarray(py)))
}

/// The `m` rows of a block farthest from their labels' `centers` (`dist2`), largest
/// first, lowest row on ties (the in-process relocation's order):
/// `(distances, row indices in the block)`.
#[pyfunction]
pub(crate) fn block_farthest<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    centers: PyReadonlyArray2<'py, f64>,
    labels: PyReadonlyArray1<'py, u32>,
    m: usize,
) -> PyResult<Pair<'py, f64, u64>> {
    let (v, n, d) = rows(&x)?;
    let c = centers_of(&centers, d)?;
    let lab = labels.as_slice()?;
    if lab.len() != n || lab.iter().any(|&l| l as usize >= c.k()) {
        return Err(PyValueError::new_err(
            "labels do not match the block and centers",
        ));
    }
    let far = py.detach(|| {
        let m = m.min(n);
        let mut far: Vec<(f64, usize)> = Vec::with_capacity(m + 1);
        if m == 0 {
            return far;
        }
        for (i, &l) in lab.iter().enumerate() {
            let dd = dist2(&v[i * d..(i + 1) * d], c.row(l as usize));
            if far.len() < m || dd > far[far.len() - 1].0 {
                let pos = far.partition_point(|&(fd, _)| fd >= dd);
                far.insert(pos, (dd, i));
                far.truncate(m);
            }
        }
        far
    });
    let dists: Vec<f64> = far.iter().map(|f| f.0).collect();
    let idx: Vec<u64> = far.iter().map(|f| f.1 as u64).collect();
    Ok((dists.into_pyarray(py), idx.into_pyarray(py)))
}

/// Per chunk of [`CHUNK_ROWS`], the column sums of a block (`m × d`, rows added in
/// order), or with `mean` the sums of squared deviations from it: the two passes of
/// the in-process tolerance (scikit-learn's mean per-feature variance).
#[pyfunction]
#[pyo3(signature = (x, mean=None))]
pub(crate) fn block_colsums<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    mean: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (v, n, d) = rows(&x)?;
    let mean = match &mean {
        Some(m) => Some(m.as_slice()?),
        None => None,
    };
    if mean.is_some_and(|m| m.len() != d) {
        return Err(PyValueError::new_err("mean has the wrong length"));
    }
    let m = n.div_ceil(CHUNK_ROWS);
    let out = py.detach(|| {
        let mut out = vec![0.0f64; m * d];
        for (c_i, s) in out.chunks_mut(d.max(1)).enumerate().take(m) {
            for i in c_i * CHUNK_ROWS..((c_i + 1) * CHUNK_ROWS).min(n) {
                let row = &v[i * d..(i + 1) * d];
                match mean {
                    None => s.iter_mut().zip(row).for_each(|(a, x)| *a += x),
                    Some(mu) => {
                        for ((a, x), mu) in s.iter_mut().zip(row).zip(mu) {
                            let t = x - mu;
                            *a += t * t;
                        }
                    }
                }
            }
        }
        out
    });
    out.into_pyarray(py).reshape([m, d])
}

/// k-means|| and k-means++ on blocks: `closest[i] = min(closest[i], min_c
/// dist2(x_i, c))` over the candidates `cands` (the nearest candidate found by the
/// assignment kernel, its distance the canonical `dist2`); `closest` None starts
/// from +∞. Returns the new `closest` and, per chunk of [`CHUNK_ROWS`], `Σ
/// w_i·closest_i` in row order.
#[pyfunction]
#[pyo3(signature = (x, cands, closest, weights))]
pub(crate) fn block_closest<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    cands: PyReadonlyArray2<'py, f64>,
    closest: Option<PyReadonlyArray1<'py, f64>>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Pair<'py, f64, f64>> {
    let (v, n, d) = rows(&x)?;
    let c = centers_of(&cands, d)?;
    let w = weights_of(&weights, n)?;
    let mut cl = match &closest {
        None => vec![f64::INFINITY; n],
        Some(p) => {
            let s = p.as_slice()?;
            if s.len() != n {
                return Err(PyValueError::new_err("closest does not match the block"));
            }
            s.to_vec()
        }
    };
    let sums = py.detach(|| {
        let flat = Flat::from_slice(v, n, d, KernelChoice::Auto);
        let mut none = Partial::new(0, 0);
        let mut lab = vec![0u32; CHUNK_ROWS];
        let mut sums = Vec::with_capacity(n.div_ceil(CHUNK_ROWS));
        for (c_i, cl) in cl.chunks_mut(CHUNK_ROWS).enumerate() {
            let s = c_i * CHUNK_ROWS;
            let lab = &mut lab[..cl.len()];
            if c.k() > 0 {
                flat.assign(s..s + cl.len(), &c, lab, &mut none, false);
            }
            let mut acc = 0.0;
            for ((i, &l), v_i) in (s..).zip(lab.iter()).zip(cl.iter_mut()) {
                if c.k() > 0 {
                    let dd = dist2(&v[i * d..(i + 1) * d], c.row(l as usize));
                    if dd < *v_i {
                        *v_i = dd;
                    }
                }
                acc += match w {
                    Some(w) => w[i] * *v_i,
                    None => *v_i,
                };
            }
            sums.push(acc);
        }
        sums
    });
    Ok((cl.into_pyarray(py), sums.into_pyarray(py)))
}

/// The k-means|| reduction: `k` of the candidates `cands` (`m × d`) chosen by the
/// library's greedy k-means++ weighted by `weights` (the weight of the points nearest
/// each candidate), seeded by `seed`.
#[pyfunction]
pub(crate) fn weighted_greedy_pp<'py>(
    py: Python<'py>,
    cands: PyReadonlyArray2<'py, f64>,
    weights: PyReadonlyArray1<'py, f64>,
    k: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (v, m, d) = rows(&cands)?;
    let w = weights.as_slice()?;
    if w.len() != m {
        return Err(PyValueError::new_err("one weight per candidate is needed"));
    }
    let positive = w.iter().filter(|&&x| x > 0.0).count();
    if k == 0 || k > positive {
        return Err(PyValueError::new_err(format!(
            "k-means||: {positive} candidates with a positive weight, fewer than k = {k}"
        )));
    }
    let out = py.detach(|| {
        let flat = Flat::from_slice(v, m, d, KernelChoice::Auto);
        let exec = Exec::serial();
        let init = Init::GreedyKMeansPlusPlus;
        let mut rng = Rng::for_k(seed, kernels::init::stream(&init, k) as usize);
        kernels::init::initial_centers_weighted(&flat, &exec, k, &init, Some(w), &mut rng)
    });
    out.into_pyarray(py).reshape([k, d])
}

/// `dist2` of every row of `a` to the same row of `b` (the canonical distance the
/// in-process fit's center shift uses).
#[pyfunction]
pub(crate) fn row_dist2<'py>(
    py: Python<'py>,
    a: PyReadonlyArray2<'py, f64>,
    b: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (va, n, d) = rows(&a)?;
    let (vb, nb, db) = rows(&b)?;
    if (n, d) != (nb, db) {
        return Err(PyValueError::new_err("row_dist2: shapes differ"));
    }
    let out: Vec<f64> = (0..n)
        .map(|i| dist2(&va[i * d..(i + 1) * d], &vb[i * d..(i + 1) * d]))
        .collect();
    Ok(out.into_pyarray(py))
}

/// The largest magnitude the fit accepts for `n × d` data (larger values could
/// overflow a squared distance or the inertia).
#[pyfunction]
pub(crate) fn magnitude_limit(n: usize, d: usize) -> f64 {
    max_magnitude(n, d)
}

/// Rows per chunk of the in-process fit (results depend on it).
pub(crate) const CHUNK: usize = CHUNK_ROWS;

/// Registers this module's functions on the extension module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(block_assign, m)?)?;
    m.add_function(wrap_pyfunction!(block_inertia, m)?)?;
    m.add_function(wrap_pyfunction!(block_farthest, m)?)?;
    m.add_function(wrap_pyfunction!(block_colsums, m)?)?;
    m.add_function(wrap_pyfunction!(block_closest, m)?)?;
    m.add_function(wrap_pyfunction!(weighted_greedy_pp, m)?)?;
    m.add_function(wrap_pyfunction!(row_dist2, m)?)?;
    m.add_function(wrap_pyfunction!(magnitude_limit, m)?)?;
    m.add("CHUNK_ROWS", CHUNK)?;
    Ok(())
}
