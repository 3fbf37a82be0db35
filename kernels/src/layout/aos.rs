//! The seed's original layout: one heap-allocated struct per point, each owning its
//! ID string and its feature vector, and its straightforward loops. Kept as the
//! "before" of the study; deliberately not optimised.

use super::Layout;
use crate::accum::{Centers, Partial};
use crate::data::{Dataset, Source};
use crate::distance::nearest;
use std::ops::Range;

/// One point as the seed stored it.
#[derive(Clone, Debug, PartialEq)]
pub struct DataPoint {
    /// The row's ID field, as read.
    pub id: String,
    /// The row's features.
    pub features: Vec<f64>,
}

/// The seed's `Vec<DataPoint>`.
pub struct Aos {
    /// The points, one heap allocation each.
    pub points: Vec<DataPoint>,
    d: usize,
}

impl Aos {
    /// Builds the seed's structure from a loaded data set (the parser is shared, so
    /// the comparison isolates the layout and its loops).
    /// Reading the IDs touches the mapped input again; its pages are released block
    /// by block so the file does not stay resident.
    pub fn from_dataset(ds: &Dataset) -> Self {
        const BLOCK: usize = 4096;
        let d = ds.d();
        let n = ds.n();
        let mut points = Vec::with_capacity(n);
        for start in (0..n).step_by(BLOCK) {
            let end = (start + BLOCK).min(n);
            for i in start..end {
                points.push(DataPoint {
                    id: match &ds.source {
                        Source::Csv(rows) => String::from_utf8_lossy(rows.id_bytes(i)).into_owned(),
                        Source::Npy => i.to_string(),
                    },
                    features: ds.matrix.row(i).to_vec(),
                });
            }
            if let Source::Csv(rows) = &ds.source {
                rows.release(rows.byte_span(start..end));
            }
        }
        Aos { points, d }
    }

    /// Wraps points (all of the same dimension).
    pub fn from_points(points: Vec<DataPoint>) -> Self {
        let d = points.first().map_or(0, |p| p.features.len());
        Aos { points, d }
    }
}

impl Layout for Aos {
    fn n(&self) -> usize {
        self.points.len()
    }
    fn d(&self) -> usize {
        self.d
    }
    #[inline]
    fn row<'a>(&'a self, i: usize, _buf: &'a mut Vec<f64>) -> &'a [f64] {
        &self.points[i].features
    }
    /// The seed's loop: for each point, for each center, the squared distance; keep
    /// the nearest.
    fn assign(
        &self,
        rows: Range<usize>,
        centers: &Centers,
        labels: &mut [u32],
        part: &mut Partial,
        accumulate: bool,
    ) {
        for (p, label) in self.points[rows].iter().zip(labels.iter_mut()) {
            let best = nearest(&p.features, centers.values(), self.d);
            if *label != best as u32 {
                part.changed += 1;
                *label = best as u32;
            }
            if accumulate {
                part.add(best, &p.features);
            }
        }
    }
    fn name(&self) -> &'static str {
        "aos"
    }
}
