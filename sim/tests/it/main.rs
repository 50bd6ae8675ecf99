//! Integration tests of the simulation core.

mod architecture;
mod code_map;
mod common;
mod crn;
mod demand;
mod determinism;
mod energy;
mod erlang;
mod finance;
mod formats;
mod full_scenario;
mod mutation;
mod pinned;
mod ranges;
mod registry;
mod reliability;
mod scenarios;
mod special;
mod states;
mod sweep;
