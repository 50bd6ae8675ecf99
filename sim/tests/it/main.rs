//! Integration tests of the simulation core.

mod common;
