//! Storage: atomic output folders and manifests.

pub mod manifest;
pub mod output;
