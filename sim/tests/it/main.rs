//! Integration tests of the simulation core.

mod architecture;
mod calibrate;
mod code_map;
mod common;
mod correlation;
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
mod policies;
mod proforma;
mod ranges;
mod registry;
mod reliability;
mod scenarios;
mod series;
mod special;
mod states;
mod sweep;
mod weather_files;
