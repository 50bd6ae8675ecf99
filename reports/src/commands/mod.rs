//! The subcommands: each runs its work inside one job envelope and writes one output folder.

pub mod init;
pub mod rebuild;
pub mod run;
pub mod sensitivity;
pub mod shard;
