//! Tests of the real `dcplan` binary, run the way a user runs it.

mod cli;
mod common;
mod scale;
