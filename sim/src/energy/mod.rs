//! Energy: weather, cooling and PUE, electricity prices, and the hourly dispatch of supply.
//!
//! Everything here is plain computation on hourly arrays; the engine's energy system calls it
//! once per month with the month's hourly IT energy (exact integrals from the meter).

pub mod cooling;
pub mod dispatch;
pub mod prices;
pub mod renewables;
pub mod series;
pub mod weather;
pub mod weather_file;
