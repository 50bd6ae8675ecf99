//! The subcommands: each runs its work inside one job envelope ([`job`]) and writes one output
//! folder.

pub(crate) mod budget;
pub mod calibrate;
pub mod catalog;
pub mod check;
pub mod compare;
pub mod console;
pub mod init;
pub mod job;
pub mod optimize;
pub mod rebuild;
pub mod run;
pub mod schema;
pub mod sensitivity;
pub(crate) mod shard;
