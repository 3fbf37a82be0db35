//! Colours of the figures and the dashboard: fixed hex values for the known names (so a
//! contestant or code variant keeps its colour across figures, folders and machines),
//! and a short list for any other name, by its position among the others.

/// A palette: fixed colours for known names, then `extra` in turn for the rest.
#[derive(Clone, Copy, Debug)]
pub struct Palette {
    fixed: &'static [(&'static str, &'static str)],
    extra: &'static [&'static str],
}

/// Contestants (every figure and the dashboard).
pub const CONTESTANTS: Palette = Palette {
    fixed: &[
        ("numpy", "#1f77b4"),
        ("numpy-tuned", "#aec7e8"),
        ("sklearn", "#ff7f0e"),
        ("rust-aos-serial", "#d62728"),
        ("rust-aos-rayon", "#9467bd"),
        ("rust-flat", "#2ca02c"),
        ("faiss", "#8c564b"),
        ("sklearnex", "#e377c2"),
        ("rust-py", "#98df8a"),
    ],
    extra: &["#7f7f7f", "#bcbd22", "#17becf", "#393b79"],
};

/// Code variants of the micro-benchmarks (the kernel roofline figure), in legend order.
pub const VARIANTS: Palette = Palette {
    fixed: &[
        ("aos", "#d62728"),
        ("flat-scalar", "#ff7f0e"),
        ("flat-simd-scalar", "#bcbd22"),
        ("flat-simd-neon", "#8c564b"),
        ("flat-simd-simd128", "#17becf"),
        ("flat-simd-avx2", "#2ca02c"),
        ("flat-simd-avx512", "#1f77b4"),
        ("flat", "#9467bd"),
    ],
    extra: &["#7f7f7f", "#393b79", "#637939", "#843c39"],
};

impl Palette {
    /// Hex colour of `name`: fixed for the known ones, others by position among the
    /// unknown names of `all`.
    pub fn hex(&self, name: &str, all: &[String]) -> String {
        if let Some((_, h)) = self.fixed.iter().find(|(n, _)| *n == name) {
            return h.to_string();
        }
        let i = all
            .iter()
            .filter(|x| !self.fixed.iter().any(|(p, _)| p == x))
            .position(|x| x == name)
            .unwrap_or(0);
        self.extra[i % self.extra.len()].to_string()
    }

    /// Sort key: the position in the fixed list, then the name (unknown names last).
    pub fn rank(&self, name: &str) -> (usize, String) {
        let i = self
            .fixed
            .iter()
            .position(|(p, _)| *p == name)
            .unwrap_or(self.fixed.len());
        (i, name.to_string())
    }
}
