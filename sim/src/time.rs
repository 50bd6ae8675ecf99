//! Simulation time and the calendar.
//!
//! Time is an integer number of seconds since the scenario start ([`SimTime`]); it is never a
//! float, so event ordering is exact. The finance ledger works in calendar months of a
//! 365-day year (no leap days), which keeps every year exactly 8,760 hours long and lines up
//! with hourly profiles of 8,760 values.

use serde::{Deserialize, Serialize};

/// Seconds per hour.
pub const SECONDS_PER_HOUR: u64 = 3_600;
/// Hours in the (non-leap) simulation year.
pub const HOURS_PER_YEAR: u64 = 8_760;
/// Days in each calendar month of the simulation year.
pub const DAYS_IN_MONTH: [u64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// A point in simulated time: whole seconds since the scenario start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The scenario start.
    pub const ZERO: SimTime = SimTime(0);

    /// Time from a number of hours (rounded to the nearest second, saturating at zero).
    #[inline]
    pub fn from_hours(hours: f64) -> SimTime {
        SimTime(hours_to_seconds(hours))
    }

    /// Hours since the scenario start.
    pub fn hours(self) -> f64 {
        self.0 as f64 / SECONDS_PER_HOUR as f64
    }

    /// Index of the hour that contains this instant.
    pub fn hour_index(self) -> u64 {
        self.0 / SECONDS_PER_HOUR
    }

    /// This time plus a span, saturating at `u64::MAX`.
    #[inline]
    pub fn plus(self, span_s: u64) -> SimTime {
        SimTime(self.0.saturating_add(span_s))
    }
}

/// 2^52: from here on every double is a whole number; below it, adding it and taking it away
/// again rounds a non-negative double to the nearest whole number (ties to even), exactly.
const TWO_52: f64 = 4_503_599_627_370_496.0;

/// Convert a duration in hours to whole seconds (rounded; negative and NaN become 0, huge values saturate).
#[inline]
pub fn hours_to_seconds(hours: f64) -> u64 {
    round_seconds(hours * SECONDS_PER_HOUR as f64)
}

/// Round a number of seconds to a whole number (half away from zero; negative and NaN become 0,
/// huge values saturate).
#[inline]
fn round_seconds(s: f64) -> u64 {
    // Rounds half away from zero, as `f64::round`, without its library call. From 0.5 to 2^52,
    // that is the truncation of `s + 0.5`: the sum is exact while it stays in the binade of `s`
    // (its spacing divides 0.5 there), and where it crosses into the next binade it is at least
    // that binade's start, a whole number, and rounds by less than one spacing, which never
    // reaches the next whole number. The conversion through i64 is one instruction. NaN fails
    // every comparison and becomes 0.
    if (0.5..TWO_52).contains(&s) {
        (s + 0.5) as i64 as u64
    } else if s >= u64::MAX as f64 {
        u64::MAX
    } else if s >= TWO_52 {
        s as u64
    } else {
        0
    }
}

/// `x.ceil()`, without the library call the baseline x86-64 target makes for it.
#[inline]
pub(crate) fn ceil(x: f64) -> f64 {
    if x > 0.0 && x < TWO_52 {
        // One more than the nearest whole number is the ceiling when it rounded down.
        let near = (x + TWO_52) - TWO_52;
        if near < x { near + 1.0 } else { near }
    } else {
        // Zero (keeping its sign), negative, large and NaN values.
        x.ceil()
    }
}

/// A calendar month, `month` in 1..=12.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct YearMonth {
    /// Calendar year, e.g. 2027.
    pub year: i32,
    /// Month of the year, 1 (January) to 12 (December).
    pub month: u32,
}

impl YearMonth {
    /// The month `offset` months after this one.
    pub fn plus_months(self, offset: u32) -> YearMonth {
        let idx = self.month as i64 - 1 + offset as i64;
        YearMonth {
            year: self.year + (idx / 12) as i32,
            month: (idx % 12) as u32 + 1,
        }
    }
}

impl std::fmt::Display for YearMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Maps simulation months to simulated time.
#[derive(Clone, Debug)]
pub struct Calendar {
    /// Calendar month in which the simulation starts (month index 0).
    pub start: YearMonth,
    /// Start time of each month, plus one entry for the end of the horizon.
    month_starts: Vec<SimTime>,
}

impl Calendar {
    /// A calendar of `horizon_months` months starting at `start`.
    pub fn new(start: YearMonth, horizon_months: u32) -> Calendar {
        let mut month_starts = Vec::with_capacity(horizon_months as usize + 1);
        let mut t = 0u64;
        month_starts.push(SimTime(0));
        for m in 0..horizon_months {
            let cal = start.plus_months(m);
            t += DAYS_IN_MONTH[(cal.month - 1) as usize] * 24 * SECONDS_PER_HOUR;
            month_starts.push(SimTime(t));
        }
        Calendar {
            start,
            month_starts,
        }
    }

    /// Number of months simulated.
    pub fn horizon_months(&self) -> u32 {
        (self.month_starts.len() - 1) as u32
    }

    /// The end of the simulated horizon.
    pub fn end(&self) -> SimTime {
        *self
            .month_starts
            .last()
            .expect("calendar has at least its start")
    }

    /// Start of month `m` (month `horizon_months` is the end of the horizon).
    pub fn month_start(&self, m: u32) -> SimTime {
        self.month_starts[(m as usize).min(self.month_starts.len() - 1)]
    }

    /// Hours in month `m`.
    pub fn hours_in_month(&self, m: u32) -> f64 {
        (self.month_start(m + 1).0 - self.month_start(m).0) as f64 / SECONDS_PER_HOUR as f64
    }

    /// Month index that contains time `t` (the last month for times at or past the end).
    pub fn month_of(&self, t: SimTime) -> u32 {
        match self.month_starts.binary_search(&t) {
            Ok(i) => (i as u32).min(self.horizon_months().saturating_sub(1)),
            Err(i) => (i as u32)
                .saturating_sub(1)
                .min(self.horizon_months().saturating_sub(1)),
        }
    }

    /// Calendar month of simulation month `m`.
    pub fn year_month(&self, m: u32) -> YearMonth {
        self.start.plus_months(m)
    }

    /// Hour of the calendar year (0..8760) at which the simulation starts, used to align hourly profiles.
    pub(crate) fn start_hour_of_year(&self) -> u64 {
        DAYS_IN_MONTH[..(self.start.month - 1) as usize]
            .iter()
            .sum::<u64>()
            * 24
    }

    /// Hour of the calendar year (0..8760) of simulation hour `h`.
    pub fn hour_of_year(&self, h: u64) -> usize {
        ((self.start_hour_of_year() + h) % HOURS_PER_YEAR) as usize
    }

    /// Calendar year (0 being the start's year) and hour of that year (0..8760) of simulation
    /// hour `h`.
    pub(crate) fn year_and_hour(&self, h: u64) -> (usize, usize) {
        let abs = self.start_hour_of_year() + h;
        (
            (abs / HOURS_PER_YEAR) as usize,
            (abs % HOURS_PER_YEAR) as usize,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rounding rule the conversion must follow: half away from zero, saturating.
    fn reference_seconds(hours: f64) -> u64 {
        reference_round(hours * SECONDS_PER_HOUR as f64)
    }

    fn reference_round(s: f64) -> u64 {
        let s = s.round();
        if s.is_nan() || s <= 0.0 {
            0
        } else if s >= u64::MAX as f64 {
            u64::MAX
        } else {
            s as u64
        }
    }

    #[test]
    fn ceil_is_the_library_ceiling_to_the_bit() {
        let mut cases = vec![
            0.0,
            -0.0,
            -0.5,
            -1.0,
            f64::MIN_POSITIVE,
            5e-324,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
        ];
        for k in 0..100_000u64 {
            for x in [k as f64, k as f64 + 0.5, k as f64 / 7.0, k as f64 * 1e-3] {
                cases.extend([x, x.next_up(), x.next_down()]);
            }
        }
        for e in -60..70 {
            let x = 2f64.powi(e);
            cases.extend([x, x.next_up(), x.next_down(), x * 1.5, -x]);
        }
        for x in cases {
            let (ours, lib) = (ceil(x), x.ceil());
            assert!(
                ours.to_bits() == lib.to_bits() || (ours.is_nan() && lib.is_nan()),
                "ceil({x:e}) = {ours:e}, the library gives {lib:e}"
            );
        }
    }

    #[test]
    fn hours_to_seconds_rounds_half_away_from_zero_exactly() {
        // Halves, their neighbours one ulp away, large and tiny values, and special values.
        let mut cases = vec![
            0.0,
            -0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e300,
        ];
        for k in 0..200_000u64 {
            let half = (k as f64 + 0.5) / SECONDS_PER_HOUR as f64;
            cases.extend([half, half.next_up(), half.next_down()]);
            let whole = k as f64 * 7.919 / 3.0;
            cases.extend([whole, whole.next_up(), whole.next_down()]);
        }
        for e in 0..70 {
            let x = 2f64.powi(e) / SECONDS_PER_HOUR as f64;
            cases.extend([x, x.next_up(), x.next_down(), x * 1.5]);
        }
        // Seconds just below each power of two up to 2^53, where `s + 0.5` crosses a binade,
        // and random values across every binade below 2^53.
        let mut seconds = Vec::new();
        for e in -2..=53 {
            let top = 2f64.powi(e);
            let mut s = top;
            for _ in 0..64 {
                s = s.next_down();
                seconds.extend([s, top - 0.5, (top - 0.5).next_down()]);
            }
        }
        let mut bits = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..1_000_000 {
            bits ^= bits << 13;
            bits ^= bits >> 7;
            bits ^= bits << 17;
            let s = 2f64.powi((bits % 56) as i32 - 2) * (1.0 + (bits >> 11) as f64 / 2f64.powi(53));
            seconds.extend([s, s.floor() + 0.5, (s.floor() + 0.5).next_down()]);
        }
        for h in cases {
            assert_eq!(hours_to_seconds(h), reference_seconds(h), "{h:e} hours");
        }
        for s in seconds {
            assert_eq!(round_seconds(s), reference_round(s), "{s:e} s");
        }
    }

    #[test]
    fn a_year_of_months_is_8760_hours() {
        for start_month in 1..=12 {
            let cal = Calendar::new(
                YearMonth {
                    year: 2027,
                    month: start_month,
                },
                12,
            );
            assert_eq!(cal.end().0, HOURS_PER_YEAR * SECONDS_PER_HOUR);
        }
    }

    #[test]
    fn month_of_finds_the_containing_month() {
        let cal = Calendar::new(
            YearMonth {
                year: 2027,
                month: 1,
            },
            24,
        );
        assert_eq!(cal.month_of(SimTime(0)), 0);
        assert_eq!(cal.month_of(SimTime(31 * 24 * 3600 - 1)), 0);
        assert_eq!(cal.month_of(SimTime(31 * 24 * 3600)), 1);
        assert_eq!(cal.month_of(cal.end()), 23);
        assert_eq!(
            cal.year_month(13),
            YearMonth {
                year: 2028,
                month: 2
            }
        );
        assert_eq!(cal.hours_in_month(1), 28.0 * 24.0);
    }

    #[test]
    fn hour_of_year_wraps() {
        let cal = Calendar::new(
            YearMonth {
                year: 2027,
                month: 3,
            },
            12,
        );
        assert_eq!(cal.start_hour_of_year(), (31 + 28) * 24);
        assert_eq!(cal.hour_of_year(HOURS_PER_YEAR), cal.hour_of_year(0));
    }
}
