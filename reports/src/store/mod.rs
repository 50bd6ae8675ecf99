//! Storage: atomic output folders, manifests and the part folders of a sharded run.

pub mod manifest;
pub mod output;
pub mod parts;
