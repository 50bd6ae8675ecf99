//! Tests of the real `dcplan` binary, run the way a user runs it.

mod browser;
mod calibrate;
mod cli;
mod cluster;
mod common;
mod hostile;
mod policies;
mod provenance;
mod rebuild;
mod scale;
mod snapshot;
mod workbook;
