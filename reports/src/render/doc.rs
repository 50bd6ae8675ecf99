//! A tiny document model rendered both to Markdown and to self-contained HTML.

use std::fmt::Write;

/// A block of a document.
#[derive(Clone, Debug)]
pub(crate) enum Block {
    /// A heading of level 1-3.
    Heading(u8, String),
    /// A paragraph of plain text.
    Para(String),
    /// A bulleted list.
    Bullets(Vec<String>),
    /// A table with a header row; the first column is left-aligned, the others right-aligned.
    Table {
        /// Column titles.
        header: Vec<String>,
        /// Rows of cells.
        rows: Vec<Vec<String>>,
    },
    /// A chart: its title, SVG document (inlined in HTML) and PNG file name (linked in Markdown).
    Chart {
        /// Title (drawn in the chart; the alternative text of the image).
        title: String,
        /// What the reader should see in the chart, one or two sentences (may be empty).
        caption: String,
        /// SVG text.
        svg: String,
        /// PNG file name in the output folder.
        png: String,
    },
    /// Preformatted text.
    Code(String),
    /// A collapsible section (HTML) / plain section (Markdown).
    Details(String, Vec<Block>),
}

/// A document.
#[derive(Clone, Debug, Default)]
pub(crate) struct Doc {
    /// Title.
    pub title: String,
    /// Blocks in order.
    pub blocks: Vec<Block>,
}

impl Doc {
    /// Render as Markdown.
    pub(crate) fn to_markdown(&self) -> String {
        let mut s = format!("# {}\n\n", md(&self.title));
        for b in &self.blocks {
            md_block(&mut s, b);
        }
        s
    }

    /// Render as one self-contained HTML page (styles and charts inline, no external resources).
    pub(crate) fn to_html(&self) -> String {
        let mut body = String::new();
        for b in &self.blocks {
            html_block(&mut body, b);
        }
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n{}</main>\n</body>\n</html>\n",
            esc(&self.title),
            CSS,
            esc(&self.title),
            body
        )
    }
}

const CSS: &str = "body{font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif;color:#1b1f24;background:#f6f7f9;margin:0}\
main{max-width:1040px;margin:0 auto;padding:24px 32px 64px;background:#fff}\
h1{font-size:28px;margin:8px 0 16px}h2{font-size:21px;margin:32px 0 8px;border-bottom:1px solid #dde1e6;padding-bottom:4px}h3{font-size:17px;margin:20px 0 6px}\
p,li{font-size:15px;line-height:1.5}table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}\
th,td{padding:4px 10px;border-bottom:1px solid #e3e6ea}th{background:#f0f2f5;text-align:left}td{text-align:left}th.n,td.n{text-align:right;font-variant-numeric:tabular-nums}\
figure{margin:16px 0}figure svg{max-width:100%;height:auto;border:1px solid #e3e6ea}figcaption{font-size:13px;color:#555}\
pre{background:#f0f2f5;padding:12px;overflow-x:auto;font-size:12px;line-height:1.4}details{margin:8px 0}summary{cursor:pointer;font-weight:600}\
@media print{body{background:#fff}main{max-width:none;padding:0}h1,h2,h3{break-after:avoid;page-break-after:avoid}\
table,figure,pre,tr{break-inside:avoid;page-break-inside:avoid}p{orphans:3;widows:3}}";

/// Text for Markdown: a `<` that could open an HTML tag (before a letter, `/`, `!` or `?`)
/// becomes `&lt;`, so that a scenario's name or description is shown, never run, by a Markdown
/// viewer that renders HTML; `NPV < 0` stays as written.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        // One line per block: a line break (from a name or description) would end a heading or
        // a table row, so it reads as a space.
        let c = match unseen(c) {
            Some(_) if c == '\n' || c == '\r' || c == '\t' => ' ',
            Some(r) => r,
            None => c,
        };
        let opens_tag = c == '<'
            && chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?'));
        if opens_tag {
            out.push_str("&lt;");
        } else {
            out.push(c);
        }
    }
    out
}

fn md_block(s: &mut String, b: &Block) {
    match b {
        Block::Heading(level, text) => {
            let _ = writeln!(s, "{} {}\n", "#".repeat(*level as usize + 1), md(text));
        }
        Block::Para(text) => {
            let _ = writeln!(s, "{}\n", md(text));
        }
        Block::Bullets(items) => {
            for i in items {
                let _ = writeln!(s, "- {}", md(i));
            }
            s.push('\n');
        }
        Block::Table { header, rows } => {
            let header: Vec<String> = header.iter().map(|h| md(h).replace('|', "\\|")).collect();
            let _ = writeln!(s, "| {} |", header.join(" | "));
            let numeric = numeric_columns(header.len(), rows);
            let align: Vec<&str> = numeric
                .iter()
                .map(|n| if *n { "---:" } else { "---" })
                .collect();
            let _ = writeln!(s, "| {} |", align.join(" | "));
            for r in rows {
                let cells: Vec<String> = r.iter().map(|c| md(c).replace('|', "\\|")).collect();
                let _ = writeln!(s, "| {} |", cells.join(" | "));
            }
            s.push('\n');
        }
        Block::Chart {
            title,
            caption,
            png,
            ..
        } => {
            let _ = writeln!(s, "![{}]({png})\n", md(title));
            if !caption.is_empty() {
                let _ = writeln!(s, "*{}*\n", md(caption));
            }
        }
        Block::Code(text) => {
            let _ = writeln!(s, "```\n{}\n```\n", text.trim_end());
        }
        Block::Details(summary, blocks) => {
            let _ = writeln!(s, "**{}**\n", md(summary));
            for b in blocks {
                md_block(s, b);
            }
        }
    }
}

/// Whether each column holds numbers (right-aligned): most of its non-empty cells start like a
/// number or a money amount (`1,234`, `-$3.4M`, `12.5 %`, `n/a`, `never`).
fn numeric_columns(n: usize, rows: &[Vec<String>]) -> Vec<bool> {
    let looks_numeric = |c: &str| {
        let t = c.trim_start_matches(['-', '+', '$']);
        t.starts_with(|ch: char| ch.is_ascii_digit())
            || matches!(c, "n/a" | "never" | "best" | "yes" | "no")
    };
    (0..n)
        .map(|i| {
            let cells: Vec<&str> = rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.trim())
                .filter(|c| !c.is_empty())
                .collect();
            i > 0
                && !cells.is_empty()
                && cells.iter().filter(|c| looks_numeric(c)).count() * 2 >= cells.len()
        })
        .collect()
}

fn html_block(s: &mut String, b: &Block) {
    match b {
        Block::Heading(level, text) => {
            let _ = writeln!(s, "<h{0}>{1}</h{0}>", level + 1, esc(text));
        }
        Block::Para(text) => {
            let _ = writeln!(s, "<p>{}</p>", esc(text));
        }
        Block::Bullets(items) => {
            s.push_str("<ul>\n");
            for i in items {
                let _ = writeln!(s, "<li>{}</li>", esc(i));
            }
            s.push_str("</ul>\n");
        }
        Block::Table { header, rows } => {
            let numeric = numeric_columns(header.len(), rows);
            let class = |i: usize| {
                if numeric.get(i).copied().unwrap_or(false) {
                    " class=\"n\""
                } else {
                    ""
                }
            };
            s.push_str("<table>\n<thead><tr>");
            for (i, h) in header.iter().enumerate() {
                let _ = write!(s, "<th{}>{}</th>", class(i), esc(h));
            }
            s.push_str("</tr></thead>\n<tbody>\n");
            for r in rows {
                s.push_str("<tr>");
                for (i, c) in r.iter().enumerate() {
                    let _ = write!(s, "<td{}>{}</td>", class(i), esc(c));
                }
                s.push_str("</tr>\n");
            }
            s.push_str("</tbody>\n</table>\n");
        }
        Block::Chart {
            title,
            caption,
            svg,
            ..
        } => {
            let svg = svg
                .trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
                .trim();
            // The title is drawn in the chart; the caption says what to see in it.
            let text = if caption.is_empty() { title } else { caption };
            let _ = writeln!(
                s,
                "<figure>\n{svg}\n<figcaption>{}</figcaption>\n</figure>",
                esc(text)
            );
        }
        Block::Code(text) => {
            let _ = writeln!(s, "<pre>{}</pre>", esc(text));
        }
        Block::Details(summary, blocks) => {
            let _ = writeln!(s, "<details>\n<summary>{}</summary>", esc(summary));
            for b in blocks {
                html_block(s, b);
            }
            s.push_str("</details>\n");
        }
    }
}

/// Escape text for HTML (control and direction-override characters shown as U+FFFD, see
/// [`unseen`]).
pub(crate) fn esc(text: &str) -> String {
    text.chars()
        .map(|c| match unseen(c) {
            Some(_) if c == '\n' || c == '\t' => c,
            Some(r) => r,
            None => c,
        })
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The replacement for a character a document must not carry as it is: a control character (a
/// NUL or a bell from a scenario's name) or one that reverses the direction of the text around it
/// (U+202A-U+202E, U+2066-U+2069), which could make a figure read as another. `None` for every
/// other character.
fn unseen(c: char) -> Option<char> {
    (c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .then_some('\u{fffd}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_tables_in_both_formats() {
        let d = Doc {
            title: "T <1>".into(),
            blocks: vec![Block::Table {
                header: vec!["a".into(), "b|c".into()],
                rows: vec![vec!["x|y".into(), "1".into()]],
            }],
        };
        let md = d.to_markdown();
        assert!(
            md.contains("| a | b\\|c |\n| --- | ---: |\n| x\\|y | 1 |"),
            "{md}"
        );
        let html = d.to_html();
        assert!(html.contains("<title>T &lt;1&gt;</title>"));
        // Control and direction-override characters never reach the documents as they are.
        assert_eq!(
            esc("a\u{0}b\u{7}c\u{202e}d\ne"),
            "a\u{fffd}b\u{fffd}c\u{fffd}d\ne"
        );
        assert_eq!(super::md("a\nb\u{0}c\u{2066}"), "a b\u{fffd}c\u{fffd}");
        assert!(html.contains("<td>x|y</td><td class=\"n\">1</td>"));
    }

    #[test]
    fn markdown_shows_html_in_names_as_text() {
        let d = Doc {
            title: "<script>alert(1)</script>".into(),
            blocks: vec![
                Block::Para("<img src=x onerror=alert(1)> and NPV < 0".into()),
                Block::Table {
                    header: vec!["name".into(), "value".into()],
                    rows: vec![vec!["</td><b>".into(), "1".into()]],
                },
                Block::Code("<kept as written>".into()),
            ],
        };
        let md = d.to_markdown();
        assert!(
            md.starts_with("# &lt;script>alert(1)&lt;/script>\n"),
            "{md}"
        );
        assert!(
            md.contains("&lt;img src=x onerror=alert(1)> and NPV < 0"),
            "{md}"
        );
        assert!(md.contains("| &lt;/td>&lt;b> | 1 |"), "{md}");
        assert!(md.contains("```\n<kept as written>\n```"), "{md}");
    }
}
