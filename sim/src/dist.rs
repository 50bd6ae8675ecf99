//! Uncertain inputs: a number or a probability distribution.
//!
//! Any numeric scenario input a user is unsure of may be written as a distribution instead of a
//! number. Which kind of randomness a field carries is stated on the field:
//! *parameter* fields are sampled once per replication (parameter uncertainty), *draw* fields are
//! sampled afresh for every request, failure or repair (process randomness).
//!
//! Parameters are sampled by inversion (`quantile(u)` of a uniform `u`), so the same code serves
//! plain Monte Carlo, Latin hypercube sampling and P10/P90 sensitivity runs. Draws
//! ([`Dist::sample`]) are by inversion too, except exponential ones, which take the ziggurat
//! method ([`exp1`]): as exact, without a logarithm per draw.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::problems::Problems;

/// A numeric input: a plain number or a distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a number or a distribution: Fixed(x), Uniform(lo, hi), Triangular(min, mode, max), Normal(mean, sd), LogNormal(median, p90), Pert(min, mode, max), Exponential(mean), Pareto(min, shape) or Discrete([(value, weight), ...])"
)]
pub enum Param {
    /// A plain number.
    Value(f64),
    /// A distribution.
    Dist(Dist),
}

/// A probability distribution over real numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Dist {
    /// Always `x`.
    Fixed(f64),
    /// Uniform on `[lo, hi]`.
    Uniform(f64, f64),
    /// Triangular with `(min, mode, max)`.
    Triangular(f64, f64, f64),
    /// Normal with `(mean, standard deviation)`.
    Normal(f64, f64),
    /// Log-normal given by its `(median, 90th percentile)`.
    LogNormal(f64, f64),
    /// Beta-PERT with `(min, mode, max)` (shape 4).
    Pert(f64, f64, f64),
    /// Exponential with the given mean.
    Exponential(f64),
    /// Pareto (type I) with `(minimum, shape)`: heavy-tailed, mean `min * shape / (shape - 1)` for shape > 1.
    Pareto(f64, f64),
    /// A finite set of `(value, weight)` pairs; weights need not sum to 1.
    Discrete(Vec<(f64, f64)>),
}

impl schemars::JsonSchema for Param {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Param".into()
    }

    /// A number or a distribution: exactly one of the two.
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let dist = generator.subschema_for::<Dist>();
        schemars::json_schema!({
            "description": "A plain number or a distribution.",
            "oneOf": [{"type": "number"}, dist]
        })
    }
}

/// z-score of the 90th percentile of the standard normal distribution.
pub const Z90: f64 = 1.281_551_565_544_600_4;

impl From<f64> for Param {
    fn from(x: f64) -> Self {
        Param::Value(x)
    }
}

impl Param {
    /// The distribution behind this input (a plain number is `Fixed`).
    pub fn dist(&self) -> Dist {
        match self {
            Param::Value(x) => Dist::Fixed(*x),
            Param::Dist(d) => d.clone(),
        }
    }

    /// True when this input is a plain number or `Fixed`.
    pub fn is_fixed(&self) -> bool {
        matches!(self, Param::Value(_) | Param::Dist(Dist::Fixed(_)))
    }

    /// Draw one value.
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Param::Value(x) => *x,
            Param::Dist(d) => d.sample(rng),
        }
    }

    /// The value at cumulative probability `p` in (0, 1).
    pub fn quantile(&self, p: f64) -> f64 {
        match self {
            Param::Value(x) => *x,
            Param::Dist(d) => d.quantile(p),
        }
    }

    /// The mean.
    pub fn mean(&self) -> f64 {
        match self {
            Param::Value(x) => *x,
            Param::Dist(d) => d.mean(),
        }
    }

    /// Check an input drawn once per replication: the distribution's own parameters, and that
    /// its support lies in `[lo, hi]`, or for a tail without end (Normal, LogNormal, Exponential,
    /// Pareto) that one draw in a thousand at most falls beyond: such rare draws are taken at the
    /// bound (see [`crate::plan::Input::bounds`]).
    pub(crate) fn check_range(&self, path: &str, lo: f64, hi: f64, problems: &mut Problems) {
        match self {
            Param::Value(x) => check_value(path, *x, lo, hi, problems),
            Param::Dist(d) => d.check_input_range(path, lo, hi, problems),
        }
    }

    /// Check a per-event draw: valid shape, support not below `lo`, median not above `hi`
    /// (a long upper tail is allowed).
    pub(crate) fn check_draw(&self, path: &str, lo: f64, hi: f64, problems: &mut Problems) {
        match self {
            Param::Value(x) => check_value(path, *x, lo, hi, problems),
            Param::Dist(d) => d.check_range(path, lo, f64::INFINITY, problems),
        }
        if problems.iter().all(|p| p.path != path) {
            let median = self.quantile(0.5);
            // The tail may go beyond the maximum, but not so far that one draw in a thousand
            // does: such a draw (a duration of centuries, a request for millions of GPUs) is a
            // mistyped parameter, not a plausible input.
            let tail = self.quantile(0.999);
            if median > hi {
                problems.push(
                    path,
                    format!(
                        "{}: the median {} is above the maximum {}",
                        self.describe(),
                        fmt_num(median),
                        fmt_num(hi)
                    ),
                );
            } else if tail > hi || tail.is_nan() {
                problems.push(
                    path,
                    format!(
                        "{}: one draw in a thousand is above {}, beyond the maximum {}",
                        self.describe(),
                        fmt_num(tail),
                        fmt_num(hi)
                    ),
                );
            }
        }
    }

    /// Short human-readable form, e.g. `Pert(30000, 37500, 41250)`.
    pub fn describe(&self) -> String {
        match self {
            Param::Value(x) => fmt_num(*x),
            Param::Dist(d) => d.describe(),
        }
    }
}

fn check_value(path: &str, x: f64, lo: f64, hi: f64, problems: &mut Problems) {
    if !x.is_finite() {
        problems.push(path, format!("{} is not a finite number", fmt_num(x)));
    } else if x < lo {
        problems.push(
            path,
            format!("{} is below the minimum {}", fmt_num(x), fmt_num(lo)),
        );
    } else if x > hi {
        problems.push(
            path,
            format!("{} is above the maximum {}", fmt_num(x), fmt_num(hi)),
        );
    }
}

/// `x` rounded to `digits` significant digits, for messages that must not show two different
/// numbers as the same one.
pub(crate) fn round_significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// Format a number compactly for messages and tables (no trailing zeros).
pub(crate) fn fmt_num(x: f64) -> String {
    // A number written beyond the largest a float holds (1e400) is read as infinite: say so,
    // as the author may never have written `inf`.
    if x.is_infinite() {
        return if x > 0.0 {
            "infinity (or a number beyond 1.8e308)".into()
        } else {
            "minus infinity (or a number below -1.8e308)".into()
        };
    }
    if x.is_finite() && x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else if x.is_finite() && (x.abs() >= 1e15 || x.abs() < 1e-4) {
        // A huge number (a mistyped exponent) reads as one, not as hundreds of digits; a tiny
        // one keeps its significant digits.
        let s = format!("{x:.3e}");
        match s.split_once('e') {
            Some((m, e)) if m.contains('.') => {
                format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        }
    } else if x.is_finite() && x.abs() >= 1e6 {
        // A large number needs no decimals to be read.
        format!("{}", x.round() as i64)
    } else {
        let s = format!("{x}");
        if s.len() > 12 {
            let t = format!("{x:.6}");
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

/// A standard exponential draw (mean 1), by the ziggurat method: one 64-bit draw and a table
/// look-up in almost every case, where inversion takes a logarithm every time. The number of draws
/// it takes does not depend on any parameter, so scaled draws stay paired across variants.
#[inline(always)]
pub fn exp1<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    rand_distr::Distribution::<f64>::sample(&rand_distr::Exp1, rng)
}

impl Dist {
    /// Draw one value.
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Fixed(x) => *x,
            Dist::Exponential(mean) => mean * exp1(rng),
            _ => self.quantile(open_unit(rng)),
        }
    }

    /// The value at cumulative probability `p` (clamped into (0, 1)).
    pub fn quantile(&self, p: f64) -> f64 {
        let p = p.clamp(1e-12, 1.0 - 1e-12);
        match self {
            Dist::Fixed(x) => *x,
            Dist::Uniform(lo, hi) => lo + (hi - lo) * p,
            Dist::Triangular(a, _, b) | Dist::Pert(a, _, b) if a == b => *a,
            Dist::Triangular(a, c, b) => triangular_quantile(*a, *c, *b, p),
            Dist::Normal(mean, sd) => mean + sd * normal_quantile(p),
            Dist::LogNormal(median, p90) => {
                let (mu, sigma) = lognormal_params(*median, *p90);
                (mu + sigma * normal_quantile(p)).exp()
            }
            Dist::Pert(a, c, b) => pert_quantile(*a, *c, *b, p),
            Dist::Exponential(mean) => -mean * (1.0 - p).ln(),
            Dist::Pareto(min, shape) => min * (1.0 - p).powf(-1.0 / shape),
            Dist::Discrete(items) => {
                let total: f64 = items.iter().map(|(_, w)| w).sum();
                let mut acc = 0.0;
                for (v, w) in items {
                    acc += w / total;
                    if p <= acc {
                        return *v;
                    }
                }
                items.last().map(|(v, _)| *v).unwrap_or(0.0)
            }
        }
    }

    /// The mean (infinite for a Pareto with shape <= 1).
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Fixed(x) => *x,
            Dist::Uniform(lo, hi) => 0.5 * (lo + hi),
            Dist::Triangular(a, c, b) => (a + c + b) / 3.0,
            Dist::Normal(mean, _) => *mean,
            Dist::LogNormal(median, p90) => {
                let (mu, sigma) = lognormal_params(*median, *p90);
                (mu + 0.5 * sigma * sigma).exp()
            }
            Dist::Pert(a, c, b) => (a + 4.0 * c + b) / 6.0,
            Dist::Exponential(mean) => *mean,
            Dist::Pareto(min, shape) => {
                if *shape > 1.0 {
                    min * shape / (shape - 1.0)
                } else {
                    f64::INFINITY
                }
            }
            Dist::Discrete(items) => {
                let total: f64 = items.iter().map(|(_, w)| w).sum();
                items.iter().map(|(v, w)| v * w).sum::<f64>() / total
            }
        }
    }

    /// Smallest and largest possible values.
    pub fn support(&self) -> (f64, f64) {
        match self {
            Dist::Fixed(x) => (*x, *x),
            Dist::Uniform(lo, hi) => (*lo, *hi),
            Dist::Triangular(a, _, b) | Dist::Pert(a, _, b) => (*a, *b),
            // With no spread, one value.
            Dist::Normal(mean, sd) if *sd == 0.0 => (*mean, *mean),
            Dist::LogNormal(median, p90) if median == p90 => (*median, *median),
            Dist::Normal(..) => (f64::NEG_INFINITY, f64::INFINITY),
            Dist::LogNormal(..) => (0.0, f64::INFINITY),
            Dist::Exponential(_) => (0.0, f64::INFINITY),
            Dist::Pareto(min, _) => (*min, f64::INFINITY),
            Dist::Discrete(items) => items
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (v, _)| {
                    (lo.min(*v), hi.max(*v))
                }),
        }
    }

    /// Check the distribution's own parameters and that its support lies in `[lo, hi]`.
    pub(crate) fn check_range(&self, path: &str, lo: f64, hi: f64, problems: &mut Problems) {
        let before = problems.len();
        self.check_shape(path, problems);
        if problems.len() > before {
            return;
        }
        let (s_lo, s_hi) = self.support();
        if s_lo < lo {
            let what = if s_lo.is_infinite() {
                "is unbounded below".to_string()
            } else {
                format!("can go down to {}", fmt_num(s_lo))
            };
            problems.push(
                path,
                format!(
                    "{} {what}, below the minimum {}",
                    self.describe(),
                    fmt_num(lo)
                ),
            );
        } else if s_hi > hi {
            let what = if s_hi.is_infinite() {
                "is unbounded above".to_string()
            } else {
                format!("can reach {}", fmt_num(s_hi))
            };
            problems.push(
                path,
                format!(
                    "{} {what}, above the maximum {}",
                    self.describe(),
                    fmt_num(hi)
                ),
            );
        }
    }

    /// [`Dist::check_range`] for an input drawn once per replication: an end of the support that
    /// the distribution only approaches (a Normal's two tails, a LogNormal's, an Exponential's or
    /// a Pareto's upper tail, a LogNormal's and an Exponential's lower end) may lie beyond the
    /// range as long as its one-in-a-thousand quantile does not.
    pub(crate) fn check_input_range(&self, path: &str, lo: f64, hi: f64, problems: &mut Problems) {
        let (tail_lo, tail_hi) = match self {
            Dist::Normal(..) | Dist::LogNormal(..) | Dist::Exponential(_) => (true, true),
            Dist::Pareto(..) => (false, true),
            _ => (false, false),
        };
        let before = problems.len();
        self.check_shape(path, problems);
        if problems.len() > before {
            return;
        }
        let (q_lo, q_hi) = (self.quantile(0.001), self.quantile(0.999));
        let (s_lo, s_hi) = self.support();
        if tail_lo && s_lo < lo && q_lo < lo {
            problems.push(
                path,
                format!(
                    "{}: one draw in a thousand is below {}, beyond the minimum {}",
                    self.describe(),
                    fmt_num(q_lo),
                    fmt_num(lo)
                ),
            );
        } else if tail_hi && s_hi > hi && (q_hi > hi || q_hi.is_nan()) {
            problems.push(
                path,
                format!(
                    "{}: one draw in a thousand is above {}, beyond the maximum {}",
                    self.describe(),
                    fmt_num(q_hi),
                    fmt_num(hi)
                ),
            );
        } else {
            let lo = if tail_lo { f64::NEG_INFINITY } else { lo };
            let hi = if tail_hi { f64::INFINITY } else { hi };
            self.check_range(path, lo, hi, problems);
        }
    }

    fn check_shape(&self, path: &str, problems: &mut Problems) {
        let nums: Vec<f64> = match self {
            Dist::Fixed(x) | Dist::Exponential(x) => vec![*x],
            Dist::Uniform(a, b)
            | Dist::Normal(a, b)
            | Dist::LogNormal(a, b)
            | Dist::Pareto(a, b) => vec![*a, *b],
            Dist::Triangular(a, c, b) | Dist::Pert(a, c, b) => vec![*a, *c, *b],
            Dist::Discrete(items) => items.iter().flat_map(|(v, w)| [*v, *w]).collect(),
        };
        if nums.iter().any(|x| !x.is_finite()) {
            problems.push(
                path,
                format!(
                    "{} has a parameter that is not a finite number",
                    self.describe()
                ),
            );
            return;
        }
        match self {
            Dist::Fixed(_) => {}
            Dist::Uniform(lo, hi) if lo > hi => {
                problems.push(path, format!("{}: lo must not exceed hi", self.describe()))
            }
            // min = mode = max is one value, as Uniform(a, a) is.
            Dist::Triangular(a, c, b) | Dist::Pert(a, c, b) if !(a <= c && c <= b) => problems
                .push(
                    path,
                    format!("{}: needs min <= mode <= max", self.describe()),
                ),
            Dist::Normal(_, sd) if *sd < 0.0 => problems.push(
                path,
                format!("{}: the standard deviation must be >= 0", self.describe()),
            ),
            Dist::LogNormal(median, p90) if !(*median > 0.0 && p90 >= median) => problems.push(
                path,
                format!("{}: needs median > 0 and p90 >= median", self.describe()),
            ),
            Dist::Exponential(mean) if *mean <= 0.0 => {
                problems.push(path, format!("{}: the mean must be > 0", self.describe()))
            }
            Dist::Pareto(min, shape) if !(*min > 0.0 && *shape > 0.0) => problems.push(
                path,
                format!("{}: needs min > 0 and shape > 0", self.describe()),
            ),
            Dist::Discrete(items) => {
                if items.is_empty() {
                    problems.push(path, "Discrete([]) needs at least one (value, weight) pair");
                } else if items.iter().any(|(_, w)| *w < 0.0)
                    || items.iter().map(|(_, w)| w).sum::<f64>() <= 0.0
                {
                    problems.push(
                        path,
                        format!(
                            "{}: weights must be >= 0 with a positive sum",
                            self.describe()
                        ),
                    );
                } else if !items.iter().map(|(_, w)| w).sum::<f64>().is_finite() {
                    // Shares are weights over their sum: an infinite sum makes every share 0.
                    problems.push(
                        path,
                        format!(
                            "{}: the weights' sum is too large to be a number; scale them down (only their ratios count)",
                            self.describe()
                        ),
                    );
                }
            }
            _ => {}
        }
    }

    /// Short human-readable form.
    pub fn describe(&self) -> String {
        let f = fmt_num;
        match self {
            Dist::Fixed(x) => format!("Fixed({})", f(*x)),
            Dist::Uniform(a, b) => format!("Uniform({}, {})", f(*a), f(*b)),
            Dist::Triangular(a, c, b) => format!("Triangular({}, {}, {})", f(*a), f(*c), f(*b)),
            Dist::Normal(a, b) => format!("Normal({}, {})", f(*a), f(*b)),
            Dist::LogNormal(a, b) => format!("LogNormal({}, {})", f(*a), f(*b)),
            Dist::Pert(a, c, b) => format!("Pert({}, {}, {})", f(*a), f(*c), f(*b)),
            Dist::Exponential(m) => format!("Exponential({})", f(*m)),
            Dist::Pareto(m, s) => format!("Pareto({}, {})", f(*m), f(*s)),
            Dist::Discrete(items) => format!(
                "Discrete([{}])",
                items
                    .iter()
                    .map(|(v, w)| format!("({}, {})", f(*v), f(*w)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A uniform draw in the open interval (0, 1).
pub fn open_unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    // 53 random bits, shifted by half a step so that neither 0 nor 1 can occur.
    ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// `(mu, sigma)` of the underlying normal for a log-normal given by median and 90th percentile.
pub fn lognormal_params(median: f64, p90: f64) -> (f64, f64) {
    let mu = median.ln();
    (mu, ((p90.ln() - mu) / Z90).max(0.0))
}

fn triangular_quantile(a: f64, c: f64, b: f64, p: f64) -> f64 {
    if b <= a {
        return a;
    }
    let fc = (c - a) / (b - a);
    if p < fc {
        a + (p * (b - a) * (c - a)).sqrt()
    } else {
        b - ((1.0 - p) * (b - a) * (b - c)).sqrt()
    }
}

/// Inverse of the standard normal CDF (Acklam's rational approximation refined by one Halley step;
/// relative error below 1e-13 over (0, 1)).
pub fn normal_quantile(p: f64) -> f64 {
    let x = normal_quantile_approx(p);
    // One Halley refinement step against the exact CDF.
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// Standard normal quantile by Acklam's rational approximation alone (relative error below
/// 1.2e-9): for hourly noise (weather, wholesale prices), where it is drawn hundreds of
/// thousands of times per replication and the refinement of [`normal_quantile`] would dominate
/// the run time without changing any reported figure.
pub fn normal_quantile_approx(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p_low = 0.024_25;
    if p < p_low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - p_low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

/// Standard normal CDF.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Complementary error function: the Taylor series of erf below 2, a Lentz continued fraction
/// above (relative error below 1e-15 against 40-digit values, `sim/tests/it/special.rs`).
pub fn erfc(x: f64) -> f64 {
    // For numerical work we use the well-known continued-fraction/series split on |x|.
    let z = x.abs();
    let r = if z < 2.0 {
        // erf by its Taylor series, converges fast for small z.
        let mut sum = z;
        let mut term = z;
        let z2 = z * z;
        let mut n = 0.0;
        loop {
            n += 1.0;
            term *= -z2 / n;
            let add = term / (2.0 * n + 1.0);
            sum += add;
            if add.abs() <= 1e-17 * sum.abs() {
                break;
            }
        }
        1.0 - 2.0 / std::f64::consts::PI.sqrt() * sum
    } else {
        // Lentz continued fraction for erfc.
        let z2 = z * z;
        let tiny = 1e-300;
        let mut f = z;
        let mut c = z;
        let mut d = 0.0;
        let mut i = 1.0;
        loop {
            let a = i / 2.0;
            d = z + a * d;
            d = if d.abs() < tiny { tiny } else { d };
            c = z + a / c;
            c = if c.abs() < tiny { tiny } else { c };
            d = 1.0 / d;
            let delta = c * d;
            f *= delta;
            if (delta - 1.0).abs() < 1e-16 || i > 500.0 {
                break;
            }
            i += 1.0;
        }
        (-z2).exp() / (f * std::f64::consts::PI.sqrt())
    };
    if x < 0.0 { 2.0 - r } else { r }
}

/// Quantile of the PERT distribution on `[a, b]` with mode `c` (shape 4), by bisection on the
/// regularised incomplete beta function.
fn pert_quantile(a: f64, c: f64, b: f64, p: f64) -> f64 {
    if b <= a {
        return a;
    }
    let alpha = 1.0 + 4.0 * (c - a) / (b - a);
    let beta = 1.0 + 4.0 * (b - c) / (b - a);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if beta_cdf(mid, alpha, beta) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    a + (b - a) * 0.5 * (lo + hi)
}

/// Regularised incomplete beta function I_x(a, b) (continued fraction, Numerical Recipes 6.4).
pub fn beta_cdf(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(x, a, b) / a
    } else {
        1.0 - front * beta_cf(1.0 - x, b, a) / b
    }
}

fn beta_cf(x: f64, a: f64, b: f64) -> f64 {
    let tiny = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// Natural log of the gamma function (Lanczos approximation, g = 7, n = 9).
pub fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        std::f64::consts::PI.ln() - (std::f64::consts::PI * x).sin().ln() - ln_gamma(1.0 - x)
    } else {
        let x = x - 1.0;
        let mut a = G[0];
        let t = x + 7.5;
        for (i, g) in G.iter().enumerate().skip(1) {
            a += g / (x + i as f64);
        }
        0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn numbers_in_messages_keep_their_significant_digits() {
        assert_eq!(fmt_num(3.0), "3");
        assert_eq!(fmt_num(0.25), "0.25");
        assert_eq!(fmt_num(1.0 / 3.0), "0.333333");
        assert_eq!(fmt_num(1.0 / 3600.0 / 730.0), "3.805e-7");
        assert_eq!(fmt_num(1e-5), "1e-5");
        assert_eq!(fmt_num(1e300), "1e300");
        assert_eq!(fmt_num(-2.5e18), "-2.5e18");
        assert_eq!(fmt_num(1.0000001), "1.0000001");
        assert_eq!(fmt_num(1.0 / 7.0 + 100.0), "100.142857");
        assert_eq!(fmt_num(f64::NAN), "NaN");
    }

    #[test]
    fn normal_quantile_matches_known_values() {
        assert!((normal_quantile(0.5)).abs() < 1e-12);
        assert!((normal_quantile(0.9) - Z90).abs() < 1e-12);
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
        assert!((normal_quantile(0.001) + 3.090_232_306_167_813_5).abs() < 1e-10);
        for p in [1e-6, 0.001, 0.02, 0.3, 0.5, 0.77, 0.99, 1.0 - 1e-6] {
            let (exact, approx) = (normal_quantile(p), normal_quantile_approx(p));
            assert!(
                (exact - approx).abs() <= 1.2e-9 * exact.abs().max(1e-3) + 1e-12,
                "p = {p}: {exact} vs {approx}"
            );
        }
    }

    #[test]
    fn erfc_matches_reference_values() {
        // erfc(1) and erfc(0.3) from tables.
        assert!((erfc(1.0) - 0.157_299_207_050_285_13).abs() < 1e-15);
        assert!((erfc(0.3) - 0.671_373_240_540_872_7).abs() < 1e-15);
        assert!((erfc(-1.0) - 1.842_700_792_949_715).abs() < 1e-15);
    }

    #[test]
    fn lognormal_hits_its_median_and_p90() {
        let d = Dist::LogNormal(100.0, 250.0);
        assert!((d.quantile(0.5) - 100.0).abs() < 1e-9);
        assert!((d.quantile(0.9) - 250.0).abs() < 1e-8);
    }

    /// Weights whose sum is not a number would make every share 0 (every draw the last value):
    /// refused, while the same ratios at a smaller scale are fine.
    #[test]
    fn discrete_weights_must_sum_to_a_number() {
        let check = |d: Dist| {
            let mut p = Problems::default();
            d.check_range("x", 0.0, 100.0, &mut p);
            p
        };
        let p = check(Dist::Discrete(vec![(8.0, 1e308), (16.0, 1e308)]));
        assert!(p.iter().any(|q| q.message.contains("too large")), "{p:?}");
        assert!(check(Dist::Discrete(vec![(8.0, 1.0), (16.0, 1.0)])).is_empty());
    }

    #[test]
    fn distributions_without_spread_are_their_one_value() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for d in [
            Dist::Uniform(1.3, 1.3),
            Dist::Triangular(1.3, 1.3, 1.3),
            Dist::Pert(1.3, 1.3, 1.3),
            Dist::Normal(1.3, 0.0),
            Dist::LogNormal(1.3, 1.3),
        ] {
            let mut p = Problems::default();
            d.check_range("site.pue", 1.0, 5.0, &mut p);
            assert!(p.is_empty(), "{d:?}: {p:?}");
            assert_eq!(d.support(), (1.3, 1.3), "{d:?}");
            for _ in 0..100 {
                let x = d.sample(&mut rng);
                assert!((x - 1.3).abs() < 1e-12, "{d:?}: {x}");
            }
        }
    }

    #[test]
    fn pert_quantile_is_consistent_with_its_mean() {
        // Mean of inverse-CDF samples on a fine grid equals the PERT mean.
        let d = Dist::Pert(10.0, 12.0, 20.0);
        let n = 20_000;
        let m: f64 = (0..n)
            .map(|i| d.quantile((i as f64 + 0.5) / n as f64))
            .sum::<f64>()
            / n as f64;
        assert!((m - d.mean()).abs() < 1e-3, "{m} vs {}", d.mean());
        // Symmetric PERT has its median at the mode.
        assert!((Dist::Pert(0.0, 5.0, 10.0).quantile(0.5) - 5.0).abs() < 1e-9);
    }

    #[test]
    fn sample_means_are_within_four_standard_errors() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let n = 200_000;
        for d in [
            Dist::Uniform(2.0, 6.0),
            Dist::Triangular(0.0, 1.0, 5.0),
            Dist::Normal(3.0, 2.0),
            Dist::LogNormal(1.0, 2.0),
            Dist::Exponential(24.0),
            Dist::Pareto(1.0, 3.0),
            Dist::Discrete(vec![(1.0, 3.0), (4.0, 1.0)]),
        ] {
            let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let se = (var / n as f64).sqrt();
            assert!(
                (mean - d.mean()).abs() < 4.0 * se,
                "{d:?}: {mean} vs {} (se {se})",
                d.mean()
            );
        }
    }

    #[test]
    fn ziggurat_exponential_draws_follow_the_exponential_law_into_the_tail() {
        // Shares of draws above points of the body and of the tail (past the ziggurat's last
        // layer at 7.7, where it falls back to its own tail sampler), each within four standard
        // errors of exp(-x).
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let n = 2_000_000;
        let points = [0.05, 0.5, 1.0, 2.0, 4.0, 7.0, 8.0, 10.0];
        let mut above = [0u64; 8];
        for _ in 0..n {
            let x = exp1(&mut rng);
            assert!(x.is_finite() && x >= 0.0, "{x}");
            for (count, p) in above.iter_mut().zip(points) {
                *count += u64::from(x > p);
            }
        }
        for (count, p) in above.iter().zip(points) {
            let expected = (-p).exp();
            let share = *count as f64 / n as f64;
            let se = (expected * (1.0 - expected) / n as f64).sqrt();
            assert!(
                (share - expected).abs() < 4.0 * se,
                "P(X > {p}) = {share}, expected {expected} (se {se})"
            );
        }
    }

    #[test]
    fn bad_shapes_are_reported() {
        let mut p = Problems::default();
        Dist::Uniform(3.0, 1.0).check_range("a", 0.0, 10.0, &mut p);
        Dist::Triangular(1.0, 5.0, 3.0).check_range("b", 0.0, 10.0, &mut p);
        Dist::LogNormal(-1.0, 3.0).check_range("c", 0.0, 10.0, &mut p);
        Dist::Normal(5.0, 1.0).check_range("d", 0.0, 10.0, &mut p);
        Dist::Uniform(1.0, 20.0).check_range("e", 0.0, 10.0, &mut p);
        Param::Value(f64::NAN).check_range("f", 0.0, 10.0, &mut p);
        let paths: Vec<&str> = p.iter().map(|x| x.path.as_str()).collect();
        assert_eq!(paths, ["a", "b", "c", "d", "e", "f"]);
    }
}
