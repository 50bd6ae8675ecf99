//! Number formatting for reports: thousands separators, money in $k/$M/$B, percentages, months.

use dcplan_sim::columns::Format;

/// `1234567.8` -> `1,234,568`.
pub(crate) fn thousands(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let neg = x < 0.0;
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if neg && out != "0" {
        format!("-{out}")
    } else {
        out
    }
}

/// Money with a scale suffix: `$412M`, `$1.25B`, `-$3.4M`, `$950k`, `$12`.
pub(crate) fn money(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let a = x.abs();
    let body = if a >= 1e9 {
        format!("{}B", sig3(a / 1e9))
    } else if a >= 1e6 {
        format!("{}M", sig3(a / 1e6))
    } else if a >= 1e3 {
        format!("{}k", sig3(a / 1e3))
    } else {
        format!("{a:.0}")
    };
    // A value that rounds to zero has no sign: `$0`, never `-$0`.
    let sign = if x < 0.0 && body.chars().any(|c| ('1'..='9').contains(&c)) {
        "-"
    } else {
        ""
    };
    format!("{sign}${body}")
}

/// A formatted number without the sign of a value that rounds to zero: `-0.00` -> `0.00`.
fn unsigned_zero(s: String) -> String {
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => s,
    }
}

/// Three significant figures without trailing zeros: 412, 41.2, 4.12.
fn sig3(v: f64) -> String {
    let s = if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Price with cents: `$2.95`.
pub(crate) fn price(x: f64) -> String {
    if x.is_finite() {
        let cents = unsigned_zero(format!("{x:.2}"));
        match cents.strip_prefix('-') {
            Some(rest) => format!("-${rest}"),
            None => format!("${cents}"),
        }
    } else {
        "n/a".into()
    }
}

/// A fraction as a percentage: `0.783` -> `78.3 %`.
pub(crate) fn percent(x: f64) -> String {
    if x.is_finite() {
        format!("{} %", unsigned_zero(format!("{:.1}", x * 100.0)))
    } else {
        "n/a".into()
    }
}

/// A number of months: `31 months`, or `never` for a missing value.
pub(crate) fn months(x: Option<f64>) -> String {
    match x {
        Some(m) if m.is_finite() => format!("{} months", thousands(m)),
        _ => "never".into(),
    }
}

/// A plain ratio with two decimals: `1.18`.
pub(crate) fn ratio(x: f64) -> String {
    if x.is_finite() {
        unsigned_zero(format!("{x:.2}"))
    } else {
        "n/a".into()
    }
}

/// An axis tick label: thousands separators, with as many decimals as the axis span needs.
pub(crate) fn tick(v: f64, span: f64) -> String {
    let step = (span.abs() / 8.0).max(1e-12);
    let decimals = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
    if decimals == 0 {
        thousands(v)
    } else {
        unsigned_zero(format!("{:.*}", decimals, v))
    }
}

/// Format a value by the unit implied by its name ([`Format::for_name`], the rule the column
/// metadata follows): for names that are not columns, such as a scenario's field paths. A KPI or
/// column is written with [`by_format`] and its metadata's format.
pub(crate) fn by_column(name: &str, x: f64) -> String {
    by_format(Format::for_name(name), x)
}

/// Format a value by its column's format (`Kpi::format`, `Column::format`). An infinite number
/// of months is an event that never happens within the horizon (a percentile of payback among
/// the replications that never pay back): `never`.
pub(crate) fn by_format(format: Format, x: f64) -> String {
    if x == f64::INFINITY && format == Format::Months {
        return "never".into();
    } else if !x.is_finite() {
        return "n/a".into();
    }
    match format {
        Format::Price => price(x),
        Format::Money => money(x),
        Format::Percent => percent(x),
        Format::Months if x.abs() < 1000.0 => unsigned_zero(if x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            format!("{x:.1}")
        }),
        Format::Ratio => ratio(x),
        Format::Months | Format::Number if x.abs() >= 1000.0 => thousands(x),
        Format::Months | Format::Number => significant(x, 3),
    }
}

/// A number with `digits` significant digits: 280.726 -> "281", 0.000412 -> "0.000412",
/// 0.25 -> "0.250" (trailing zeros kept, so a column reads with one precision).
pub(crate) fn significant(x: f64, digits: i32) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let decimals = (digits - 1 - x.abs().log10().floor() as i32).clamp(0, 12) as usize;
    unsigned_zero(format!("{x:.decimals$}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(1234567.8), "1,234,568");
        assert_eq!(thousands(-999.0), "-999");
        assert_eq!(money(412_300_000.0), "$412M");
        assert_eq!(money(1_250_000_000.0), "$1.25B");
        assert_eq!(money(-3_400_000.0), "-$3.4M");
        assert_eq!(significant(280.726, 3), "281");
        assert_eq!(significant(0.000_412_3, 3), "0.000412");
        assert_eq!(significant(0.25, 3), "0.250");
        assert_eq!(significant(-12.345, 3), "-12.3");
        assert_eq!(significant(100.0, 3), "100");
        assert_eq!(by_column("wue_l_per_kwh", 0.000_4), "0.000400");
        assert_eq!(by_column("inventory_gpu_months", 8214.4), "8,214");
        assert_eq!(by_column("payback_months", 61.94), "61.9");
        assert_eq!(by_column("payback_months", 48.0), "48");
        assert_eq!(by_column("payback_months", f64::INFINITY), "never");
        assert_eq!(by_column("payback_months", f64::NAN), "n/a");
        assert_eq!(by_column("npv_usd", f64::INFINITY), "n/a");
        assert_eq!(money(950.0), "$950");
        assert_eq!(money(12_000.0), "$12k");
        assert_eq!(percent(0.783), "78.3 %");
        assert_eq!(months(Some(31.0)), "31 months");
        assert_eq!(months(None), "never");
        assert_eq!(by_column("pue", 1.2345), "1.23");
        assert_eq!(by_format(Format::Ratio, 12.345), "12.35");
        assert_eq!(by_format(Format::Number, 12.345), "12.3");
        assert_eq!(by_format(Format::Price, 2.951), "$2.95");
        assert_eq!(by_format(Format::Months, 1234.0), "1,234");
    }

    #[test]
    fn a_value_that_rounds_to_zero_has_no_sign() {
        for x in [-0.0, -0.001] {
            assert_eq!(price(x), "$0.00");
            assert_eq!(percent(x / 100.0), "0.0 %");
            assert_eq!(ratio(x), "0.00");
            assert_eq!(money(x), "$0");
            assert_eq!(by_format(Format::Months, -0.0), "0");
        }
        assert_eq!(significant(-0.0, 3), "0");
        assert_eq!(money(-0.4), "$0");
        assert_eq!(tick(-0.000_01, 1.0), "0.0");
        // Real negatives keep their sign, before the dollar sign as for money.
        assert_eq!(price(-1.234), "-$1.23");
        assert_eq!(percent(-0.0012), "-0.1 %");
        assert_eq!(money(-600.0), "-$600");
        assert_eq!(
            crate::render::tables::finite(-0.0).map(f64::to_bits),
            Some(0)
        );
    }
}
