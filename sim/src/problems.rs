//! Problems found in input files (scenarios, catalogs) and how they are reported: each with the
//! field path it concerns, collected all at once; and RON parsing with line and column.
//!
//! This module is the bottom of the input layer: distributions, catalogs and scenarios report
//! their problems through it, and it depends on none of them.

use std::fmt;

/// One problem found in a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Field path, e.g. `fleet[2].gpus`.
    pub path: String,
    /// What is wrong, lower-case, no trailing period.
    pub message: String,
    /// Whether the problem stops the run ([`Severity::Error`]) or is only reported.
    pub severity: Severity,
}

/// How serious a [`Problem`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The scenario cannot run.
    Error,
    /// The scenario runs, but probably not as intended.
    Warning,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        if self.path.is_empty() {
            write!(f, "{tag}{}", self.message)
        } else {
            write!(f, "{tag}{}: {}", self.path, self.message)
        }
    }
}

/// A list of problems collected by validation.
#[derive(Clone, Debug, Default)]
pub struct Problems(Vec<Problem>);

impl Problems {
    /// Record an error at `path`.
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            path: path.into(),
            message: message.into(),
            severity: Severity::Error,
        });
    }

    /// Record a warning at `path`.
    pub fn warn(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            path: path.into(),
            message: message.into(),
            severity: Severity::Warning,
        });
    }

    /// Record a problem as it is.
    pub(crate) fn add(&mut self, problem: Problem) {
        self.0.push(problem);
    }

    /// Record every problem of `other`, in order.
    pub(crate) fn extend(&mut self, other: Problems) {
        self.0.extend(other.0);
    }

    /// Number of problems (errors and warnings).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterate over the problems in the order found.
    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter()
    }

    /// The problems as a vector.
    pub fn into_vec(self) -> Vec<Problem> {
        self.0
    }
}

/// Whether the field path `path` is `field` or lies inside it (`fleet[0].sku` in `fleet[0]`,
/// `site.pue` in `site`; not `site_name` in `site`).
pub(crate) fn within(path: &str, field: &str) -> bool {
    path.strip_prefix(field)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{file}: cannot read the file: {source}")]
    Io {
        /// The file.
        file: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid RON or does not match the schema.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// The file parsed but some values are not acceptable; every problem is listed.
    #[error("{file}: {} problem(s):\n{}", .problems.len(), .problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The file.
        file: String,
        /// Every problem found (errors first in field order, then warnings).
        problems: Vec<Problem>,
    },
}

/// RON parsing options used for scenario and catalog files: `Option` fields may be written
/// without `Some(...)`.
pub(crate) fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

/// Parse RON text into `T`, mapping errors to [`ScenarioError::Syntax`] with line and column.
pub fn parse_ron<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<T, ScenarioError> {
    ron_options().from_str::<T>(text).map_err(|e| {
        // An unclosed comment is where it opens, not at the end of the text.
        let (line, column) = match e.code {
            ron::Error::UnclosedBlockComment => crate::scenario::ron_text::unclosed_comment(text)
                .map(|at| crate::scenario::line_col_of(text, at))
                .unwrap_or((e.span.start.line, e.span.start.col)),
            _ => (e.span.start.line, e.span.start.col),
        };
        // A fraction after a whole number (`64.5` where a count goes) stops the parser at the
        // point, where it looks for a comma: say what is wrong.
        let fraction = e.code == ron::Error::ExpectedComma
            && text
                .get(crate::scenario::byte_offset(text, line, column)..)
                .is_some_and(|rest| {
                    let mut c = rest.chars();
                    c.next() == Some('.') && c.next().is_some_and(|d| d.is_ascii_digit())
                });
        let what = if fraction {
            "a whole number goes here: this field takes no fraction".to_string()
        } else {
            describe_ron_error(&e.code)
        };
        ScenarioError::Syntax {
            file: file.to_string(),
            line,
            column,
            message: match missing_field_path(text, &e) {
                Some(path) => format!("{path}: {what}"),
                None => what,
            },
        }
    })
}

/// The field path of a required field a struct leaves out (`pricing.reserved_discount_frac`),
/// from where the parser stopped: the end of the struct that lacks it.
pub(crate) fn missing_field_path(text: &str, e: &ron::error::SpannedError) -> Option<String> {
    let ron::Error::MissingStructField { field, .. } = &e.code else {
        return None;
    };
    let at = crate::scenario::byte_offset(text, e.span.start.line, e.span.start.col);
    // The parser stops at the struct's closing bracket or just after it: the struct is the
    // field whose value ends there.
    let path = crate::scenario::ron_text::field_around(text, at);
    Some(match path {
        Some((path, _)) => format!("{path}.{field}"),
        None => field.to_string(),
    })
}

pub(crate) fn describe_ron_error(code: &ron::Error) -> String {
    // The parser's own advice for these two is for programmers embedding it, not for a
    // scenario's author.
    match code {
        ron::Error::ExceededRecursionLimit => {
            return "brackets nested too deeply (more levels than any scenario needs)".into();
        }
        ron::Error::SuggestRawIdentifier(name) => {
            return format!("`{name}` cannot be a field or variant name here");
        }
        ron::Error::MissingStructField { field, outer } => {
            return match outer {
                Some(outer) => format!("the required field `{field}` of `{outer}` is missing"),
                None => format!("the required field `{field}` is missing"),
            };
        }
        _ => {}
    }
    let text = code.to_string();
    // ron's messages start with a capital and sometimes end with a period; ours do not.
    let mut s = text.trim_end_matches('.').to_string();
    if let Some(first) = s.get(0..1)
        && s.get(1..2)
            .is_some_and(|c| c.chars().all(|c| c.is_lowercase() || c == ' '))
    {
        s = first.to_lowercase() + &s[1..];
    }
    s
}

/// The problems of a file's lines: each named (up to [`LineProblems::MAX`]), the rest counted,
/// so that a file's every bad line is reported at once.
#[derive(Debug, Default)]
pub(crate) struct LineProblems {
    list: Vec<String>,
    more: usize,
}

impl LineProblems {
    /// Problems named before the rest are only counted.
    pub(crate) const MAX: usize = 20;

    /// Record a problem.
    pub(crate) fn push(&mut self, msg: String) {
        if self.list.len() < Self::MAX {
            self.list.push(msg);
        } else {
            self.more += 1;
        }
    }

    /// True when none was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The problems, and how many more there were.
    pub(crate) fn finish(mut self) -> Vec<String> {
        if self.more > 0 {
            self.list
                .push(format!("and {} more problems like these", self.more));
        }
        self.list
    }
}
