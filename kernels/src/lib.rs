//! k-means kernels. See the crate README for the layout of the crate.
pub mod probe;
