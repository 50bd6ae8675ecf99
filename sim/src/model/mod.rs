//! The models. Each model module exposes an `install` function that adds its resources and
//! systems to an `Engine` (the plugin shape, without `bevy_app`); `crate::replication` assembles
//! a replication from them. Facts that cross models travel as the messages of [`messages`].

pub mod demand;
pub mod energy;
pub mod finance;
pub mod fleet;
pub mod market;
pub mod messages;
pub mod policy;
pub mod reliability;
