//! Field paths in RON text: find the text of the value at a path such as `fleet[0].gpus`, and
//! replace (or add) it. Sweeps and searches make their variants this way, so any field, of any
//! type, can be an axis, and the variant is checked by the same parser and validation as a
//! scenario written by hand.

/// A byte range of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    /// True when the text at the cursor starts with `s`.
    fn at(&self, s: &[u8]) -> bool {
        self.b.get(self.i..).is_some_and(|rest| rest.starts_with(s))
    }

    fn skip_ws(&mut self) {
        loop {
            while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
            if self.at(b"//") {
                while self.i < self.b.len() && self.b[self.i] != b'\n' {
                    self.i += 1;
                }
            } else if self.at(b"/*") {
                self.block_comment();
            } else {
                return;
            }
        }
    }

    /// Skip a block comment starting at the cursor (block comments nest, as in RON); an
    /// unclosed one runs to the end of the text. Returns whether it was closed.
    fn block_comment(&mut self) -> bool {
        let mut depth = 0usize;
        while self.i < self.b.len() {
            if self.at(b"/*") {
                depth += 1;
                self.i += 2;
            } else if self.at(b"*/") {
                self.i += 2;
                depth -= 1;
                if depth == 0 {
                    return true;
                }
            } else {
                self.i += 1;
            }
        }
        self.i = self.b.len();
        false
    }

    /// If a string, byte string, raw string or character literal starts at the cursor, skip it
    /// (an unclosed one runs to the end of the text) and return true.
    fn literal(&mut self) -> bool {
        let b = self.b;
        let after_ident =
            self.i > 0 && (b[self.i - 1].is_ascii_alphanumeric() || b[self.i - 1] == b'_');
        let mut j = self.i;
        if !after_ident
            && b.get(j) == Some(&b'b')
            && matches!(b.get(j + 1), Some(b'"' | b'\'' | b'r'))
        {
            j += 1;
        }
        // Raw strings: `r"..."`, `r#"..."#` with any number of `#`.
        if (j > self.i || !after_ident) && b.get(j) == Some(&b'r') {
            let hashes = b[j + 1..].iter().take_while(|&&c| c == b'#').count();
            let open = j + 1 + hashes;
            if b.get(open) == Some(&b'"') {
                let mut k = open + 1;
                while k < b.len() {
                    if b[k] == b'"'
                        && b[k + 1..]
                            .iter()
                            .take(hashes)
                            .filter(|&&c| c == b'#')
                            .count()
                            == hashes
                        && b.len() > k + hashes
                    {
                        self.i = k + 1 + hashes;
                        return true;
                    }
                    k += 1;
                }
                self.i = b.len();
                return true;
            }
        }
        let quote = match b.get(j) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return false,
        };
        let mut k = j + 1;
        while k < b.len() && b[k] != quote {
            if b[k] == b'\\' {
                k += 1;
            }
            k += 1;
        }
        self.i = (k + 1).min(b.len());
        true
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ident(&mut self) -> Option<Span> {
        let start = self.i;
        while self.i < self.b.len()
            && (self.b[self.i].is_ascii_alphanumeric() || self.b[self.i] == b'_')
        {
            self.i += 1;
        }
        (self.i > start).then_some(Span { start, end: self.i })
    }

    /// Skip one value; returns its span (without surrounding whitespace or comments).
    fn value(&mut self) -> Result<Span, String> {
        self.skip_ws();
        let start = self.i;
        let mut depth = 0i32;
        while self.i < self.b.len() {
            if self.literal() {
                continue;
            }
            let c = self.b[self.i];
            match c {
                b'/' if self.at(b"//") || self.at(b"/*") => {
                    if depth == 0 {
                        break;
                    }
                    self.skip_ws();
                    continue;
                }
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                    if depth == 0 {
                        self.i += 1;
                        break;
                    }
                }
                b',' if depth == 0 => break,
                _ => {}
            }
            self.i += 1;
        }
        let mut end = self.i;
        while end > start && self.b[end - 1].is_ascii_whitespace() {
            end -= 1;
        }
        if end == start {
            return Err(format!("no value at byte {start}"));
        }
        Ok(Span { start, end })
    }
}

/// The span inside the parentheses of a struct value (`Name(...)` or `(...)`), or of a list.
fn inner(text: &str, value: Span, open: u8) -> Option<Span> {
    let b = text.as_bytes();
    let mut c = Cursor { b, i: value.start };
    c.ident();
    c.skip_ws();
    (c.peek() == Some(open) && value.end > c.i + 1).then_some(Span {
        start: c.i + 1,
        end: value.end - 1,
    })
}

/// `(key, value)` spans of the fields of a struct body.
fn fields(text: &str, body: Span) -> Result<Vec<(Span, Span)>, String> {
    let b = text.as_bytes();
    let mut c = Cursor {
        b: &b[..body.end],
        i: body.start,
    };
    let mut out = Vec::new();
    loop {
        c.skip_ws();
        if c.i >= body.end {
            return Ok(out);
        }
        let key = c
            .ident()
            .ok_or_else(|| format!("expected a field name at byte {}", c.i))?;
        c.skip_ws();
        if c.peek() != Some(b':') {
            return Err(format!(
                "expected `:` after `{}`",
                &text[key.start..key.end]
            ));
        }
        c.i += 1;
        let value = c.value()?;
        out.push((key, value));
        c.skip_ws();
        if c.peek() == Some(b',') {
            c.i += 1;
        }
    }
}

/// Spans of the items of a list body.
fn items(text: &str, body: Span) -> Result<Vec<Span>, String> {
    let b = text.as_bytes();
    let mut c = Cursor {
        b: &b[..body.end],
        i: body.start,
    };
    let mut out = Vec::new();
    loop {
        c.skip_ws();
        if c.i >= body.end {
            return Ok(out);
        }
        out.push(c.value()?);
        c.skip_ws();
        if c.peek() == Some(b',') {
            c.i += 1;
        }
    }
}

/// Split `a.b[2].c` into `[("a", None), ("b", Some(2)), ("c", None)]`.
fn segments(path: &str) -> Result<Vec<(&str, Option<usize>)>, String> {
    path.split('.')
        .map(|seg| match seg.split_once('[') {
            None if !seg.is_empty() => Ok((seg, None)),
            Some((name, rest)) => {
                let idx = rest.strip_suffix(']').and_then(|n| n.parse::<usize>().ok());
                idx.map(|i| (name, Some(i)))
                    .ok_or_else(|| format!("`{seg}` is not `name` or `name[index]`"))
            }
            None => Err("empty segment".into()),
        })
        .collect()
}

/// The byte offset of the block comment that is never closed, if one is (the outermost of a
/// nested run): where a reader should look, rather than the end of the text where the parser
/// notices it.
pub fn unclosed_comment(text: &str) -> Option<usize> {
    let mut c = Cursor {
        b: text.as_bytes(),
        i: 0,
    };
    while c.i < c.b.len() {
        if c.at(b"//") {
            while c.i < c.b.len() && c.b[c.i] != b'\n' {
                c.i += 1;
            }
        } else if c.at(b"/*") {
            let start = c.i;
            if !c.block_comment() {
                return Some(start);
            }
        } else if !c.literal() {
            c.i += 1;
        }
    }
    None
}

/// Where a path leads: the value's span, or, if only its last field is missing, the body of the
/// struct it belongs in.
enum Found {
    Value(Span),
    MissingField(Span),
}

fn locate(text: &str, path: &str) -> Result<Found, String> {
    let b = text.as_bytes();
    let mut c = Cursor { b, i: 0 };
    let mut current = c.value()?;
    let segs = segments(path)?;
    for (n, (name, index)) in segs.iter().enumerate() {
        let body = inner(text, current, b'(')
            .ok_or_else(|| format!("`{}` is not a struct", path_prefix(&segs, n)))?;
        // A segment that names the value's variant (`Hours` in `duration.Hours` for `Hours(...)`,
        // as messages name such a value) leads into the variant: its one value where it holds
        // one, else its fields or positions.
        if index.is_none() && variant_of(text, current) == Some(name) {
            let struct_like = fields(text, body).is_ok_and(|f| !f.is_empty());
            if !struct_like
                && let Ok(all) = items(text, body)
                && all.len() == 1
            {
                current = all[0];
            }
            continue;
        }
        if let Some(other) = variant_of(text, current)
            && name.starts_with(|ch: char| ch.is_ascii_uppercase())
        {
            let at = path_prefix(&segs, n);
            return Err(format!(
                "`{at}` is `{other}(...)`, not `{name}`: set `{at}` to `{name}(...)` to change it"
            ));
        }
        // A number is a position in a tuple or a tuple variant, e.g. `pricing.policy.0` in
        // `ListRatio(1.0)`.
        if let Ok(pos) = name.parse::<usize>() {
            let all = items(text, body)?;
            current = *all.get(pos).ok_or_else(|| {
                format!(
                    "`{}` has {} items; there is no .{pos}",
                    path_prefix(&segs, n),
                    all.len()
                )
            })?;
            continue;
        }
        let found = fields(text, body)?
            .into_iter()
            .find(|(k, _)| &text[k.start..k.end] == *name);
        let Some((_, value)) = found else {
            if n + 1 == segs.len() && index.is_none() {
                return Ok(Found::MissingField(body));
            }
            return Err(format!("no field `{name}` in `{}`", path_prefix(&segs, n)));
        };
        current = value;
        if let Some(i) = index {
            let list =
                inner(text, current, b'[').ok_or_else(|| format!("`{name}` is not a list"))?;
            let all = items(text, list)?;
            current = *all
                .get(*i)
                .ok_or_else(|| format!("`{name}` has {} items; there is no [{i}]", all.len()))?;
        }
    }
    Ok(Found::Value(current))
}

/// The variant name a value starts with (`Hours` in `Hours(24)`), if any.
fn variant_of(text: &str, value: Span) -> Option<&str> {
    let mut c = Cursor {
        b: &text.as_bytes()[..value.end],
        i: value.start,
    };
    c.skip_ws();
    let id = c.ident()?;
    let name = &text[id.start..id.end];
    name.starts_with(|ch: char| ch.is_ascii_uppercase())
        .then_some(name)
}

fn path_prefix(segs: &[(&str, Option<usize>)], n: usize) -> String {
    if n == 0 {
        return "the scenario".into();
    }
    segs[..n]
        .iter()
        .map(|(s, i)| match i {
            Some(i) => format!("{s}[{i}]"),
            None => s.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The text of the value at `path`.
pub fn get(text: &str, path: &str) -> Result<String, String> {
    match locate(text, path)? {
        Found::Value(s) => Ok(text[s.start..s.end].to_string()),
        Found::MissingField(_) => Err(format!("`{path}` is not written in the scenario")),
    }
}

/// The texts of the items of the list at `path`.
pub fn list(text: &str, path: &str) -> Result<Vec<String>, String> {
    match locate(text, path)? {
        Found::Value(s) => {
            let body = inner(text, s, b'[').ok_or_else(|| format!("`{path}` is not a list"))?;
            Ok(items(text, body)?
                .into_iter()
                .map(|s| text[s.start..s.end].to_string())
                .collect())
        }
        Found::MissingField(_) => Err(format!("`{path}` is not written in the scenario")),
    }
}

/// The text with the value at `path` replaced by `value`, or the field added to its struct if
/// it is not written (for fields with defaults). Whether the field exists in the schema is
/// checked when the result is parsed.
pub fn set(text: &str, path: &str, value: &str) -> Result<String, String> {
    let found = match locate(text, path) {
        Ok(found) => found,
        Err(e) => {
            return match in_absent_section(path, value, &e)? {
                Some((section, written)) => set(text, &section, &written).map_err(|_| e),
                None => Err(e),
            };
        }
    };
    match found {
        Found::Value(s) => Ok(format!("{}{}{}", &text[..s.start], value, &text[s.end..])),
        Found::MissingField(body) => {
            let name = path.rsplit('.').next().unwrap_or(path);
            let has_fields = !fields(text, body)?.is_empty();
            let insert = if has_fields {
                format!("{name}: {value}, ")
            } else {
                format!("{name}: {value}")
            };
            Ok(format!(
                "{}{}{}",
                &text[..body.start],
                insert,
                &text[body.start..]
            ))
        }
    }
}

/// A field of a section the text leaves out (left to its defaults, `reliability` in a scenario
/// without one), set to `value`: the section written with only that field, as the setting of
/// the section's own path (`reliability.failures` to `false` is `reliability` to
/// `(failures: false)`; through a variant, `tariff.Flat.price_usd_per_kwh` is `tariff` to
/// `Flat(price_usd_per_kwh: ...)`). Only where `error` (the path's own) says a field is not
/// written and the field is one the scenario format has; a list item is never made up.
fn in_absent_section(
    path: &str,
    value: &str,
    error: &str,
) -> Result<Option<(String, String)>, String> {
    if !error.starts_with("no field `") {
        return Ok(None);
    }
    let Some((section, last)) = path.rsplit_once('.') else {
        return Ok(None);
    };
    let is_name = !last.is_empty()
        && last.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !last.starts_with(|c: char| c.is_ascii_digit());
    if !is_name || section.ends_with(']') {
        return Ok(None);
    }
    if !super::json::is_scenario_field(path) {
        // A section the format has, without such a field: the field is what is wrong.
        if super::json::is_scenario_field(section) {
            return Err(format!("no field `{last}` in `{section}`"));
        }
        return Ok(None);
    }
    let written = if last.starts_with(|c: char| c.is_ascii_uppercase()) {
        // A variant: its fields or its value in its brackets.
        if value.starts_with('(') {
            format!("{last}{value}")
        } else {
            format!("{last}({value})")
        }
    } else {
        format!("({last}: {value})")
    };
    Ok(Some((section.to_string(), written)))
}

/// Like [`set`], and the value gets `source` as its line comment, the comment the report's
/// assumptions table shows as its source, in place of the comment of the value it replaces:
/// a comment that ends the value's line is replaced; where other fields or closing brackets
/// follow the value on its line (their comment is theirs, or their struct's), the line is broken
/// after the value so that they keep it; a field that is not written is added on a line of its
/// own. A position in a tuple variant (`pricing.policy.0` in `ListRatio(1.0)`) is not a value
/// of its own in the assumptions table, so the comment goes to the value it belongs to
/// (`pricing.policy`). `source` is written on one line.
pub fn set_with_source(
    text: &str,
    path: &str,
    value: &str,
    source: &str,
) -> Result<String, String> {
    let source = source.split_whitespace().collect::<Vec<_>>().join(" ");
    let found = match locate(text, path) {
        Ok(found) => found,
        Err(e) => {
            return match in_absent_section(path, value, &e)? {
                Some((section, written)) => {
                    set_with_source(text, &section, &written, &source).map_err(|_| e)
                }
                None => Err(e),
            };
        }
    };
    match found {
        Found::Value(s) => {
            let replaced = format!("{}{}{}", &text[..s.start], value, &text[s.end..]);
            let mut owner = path;
            // A position or a variant name (`.0`, `.Hours`) is inside its field's value: the
            // comment goes after the field's whole value.
            while let Some((parent, last)) = owner.rsplit_once('.') {
                if last.parse::<usize>().is_err()
                    && !last.starts_with(|c: char| c.is_ascii_uppercase())
                {
                    break;
                }
                owner = parent;
            }
            let (start, end) = if owner == path {
                (s.start, s.start + value.len())
            } else {
                match locate(&replaced, owner)? {
                    Found::Value(o) => (o.start, o.end),
                    Found::MissingField(_) => {
                        return Err(format!("`{owner}` is not written in the scenario"));
                    }
                }
            };
            Ok(comment_after(&replaced, start, end, &source))
        }
        Found::MissingField(body) => {
            let name = path.rsplit('.').next().unwrap_or(path);
            let line_end = text[body.start..]
                .find('\n')
                .map_or(text.len(), |i| body.start + i);
            let indent = format!("{}    ", indentation(text, body.start));
            let rest = text[body.start..line_end].trim_start();
            let field = format!("{name}: {value}, // {source}");
            if rest.is_empty() || rest.starts_with("//") {
                // Nothing (or a comment) follows the opening bracket: a line of its own after it.
                Ok(format!(
                    "{}\n{indent}{field}{}",
                    &text[..line_end],
                    &text[line_end..]
                ))
            } else {
                Ok(format!(
                    "{}\n{indent}{field}\n{indent}{}",
                    &text[..body.start],
                    &text[body.start..].trim_start()
                ))
            }
        }
    }
}

/// The leading whitespace of the line that holds byte `at`.
fn indentation(text: &str, at: usize) -> &str {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// Give the value at `start..end` the line comment `source` (see [`set_with_source`]).
fn comment_after(text: &str, start: usize, end: usize, source: &str) -> String {
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let rest = &text[end..line_end];
    let after_ws = rest.trim_start();
    // The comma that ends the value stays with it.
    let cut = end + (rest.len() - after_ws.len()) + usize::from(after_ws.starts_with(','));
    let tail = text[cut..line_end].trim_start();
    if tail.is_empty() || tail.starts_with("//") {
        // The comment on the line (if any) is the replaced value's own.
        format!("{} // {source}{}", &text[..cut], &text[line_end..])
    } else {
        format!(
            "{} // {source}\n{}{}",
            &text[..cut],
            indentation(text, start),
            &text[cut..].trim_start()
        )
    }
}

/// A value written in RON text, with the comment on its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leaf {
    /// Field path, e.g. `fleet[0].gpus` (list items of a top-level list: `[3].name`).
    pub path: String,
    /// The value as written, on one line.
    pub value: String,
    /// The `//` comment that ends the value's line, or the line the value's struct ends on;
    /// empty when there is none.
    pub comment: String,
}

/// The comment ending the line that holds byte `at`, if that line continues after `at` only
/// with closing brackets, commas and whitespace before the comment.
fn line_comment(text: &str, at: usize) -> Option<String> {
    let rest = &text[at..];
    let line = rest.split('\n').next().unwrap_or("");
    let code_end = line.find("//")?;
    // Anything but punctuation between the value and the comment means the comment belongs to
    // another value on the same line.
    if !line[..code_end]
        .chars()
        .all(|c| c.is_whitespace() || c == ',' || c == ')' || c == ']')
    {
        return None;
    }
    Some(line[code_end + 2..].trim().to_string())
}

fn is_struct(text: &str, value: Span) -> Option<Span> {
    let body = inner(text, value, b'(')?;
    let f = fields(text, body).ok()?;
    (!f.is_empty()).then_some(body)
}

fn walk(text: &str, value: Span, path: &str, inherited: &str, out: &mut Vec<Leaf>) {
    let own = line_comment(text, value.end).unwrap_or_default();
    let comment = if own.is_empty() {
        inherited.to_string()
    } else {
        own
    };
    // An optional struct written `Some((...))` is the struct: its fields are leaves with their
    // own sources, as where it is written without `Some`.
    if text[value.start..value.end].starts_with("Some")
        && let Some(body) = inner(text, value, b'(')
    {
        let raw = &text[body.start..body.end];
        let start = body.start + (raw.len() - raw.trim_start().len());
        let end = body.end - (raw.len() - raw.trim_end().len());
        let item = Span { start, end };
        if is_struct(text, item).is_some() {
            walk(text, item, path, &comment, out);
            return;
        }
    }
    if let Some(body) = is_struct(text, value) {
        for (k, v) in fields(text, body).unwrap_or_default() {
            let name = &text[k.start..k.end];
            let p = if path.is_empty() {
                name.to_string()
            } else {
                format!("{path}.{name}")
            };
            walk(text, v, &p, &comment, out);
        }
        return;
    }
    if let Some(body) = inner(text, value, b'[') {
        let list = items(text, body).unwrap_or_default();
        // Lists of structs are walked item by item; lists of plain values are one leaf.
        if !list.is_empty() && list.iter().all(|i| is_struct(text, *i).is_some()) {
            for (i, item) in list.into_iter().enumerate() {
                walk(text, item, &format!("{path}[{i}]"), &comment, out);
            }
            return;
        }
    }
    let raw = &text[value.start..value.end];
    let mut one_line = String::with_capacity(raw.len());
    for line in raw.lines() {
        let code = match line.find("//") {
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        };
        if !one_line.is_empty() && !one_line.ends_with(['(', '[']) {
            one_line.push(' ');
        }
        one_line.push_str(code.trim());
    }
    let value = one_line
        .replace(", ]", "]")
        .replace(", )", ")")
        .replace(",]", "]")
        .replace(",)", ")");
    out.push(Leaf {
        path: path.to_string(),
        value,
        comment,
    });
}

/// Every value written in the text with its path and comment, in text order. Structs (and lists
/// of structs) are walked into; anything else (numbers, strings, distributions, lists of plain
/// values, enum variants with positional values) is a leaf.
pub fn leaves(text: &str) -> Vec<Leaf> {
    let mut c = Cursor {
        b: text.as_bytes(),
        i: 0,
    };
    // Skip RON attributes such as `#![enable(implicit_some)]`.
    loop {
        c.skip_ws();
        if !text[c.i..].starts_with("#!") {
            break;
        }
        c.i += text[c.i..].find('\n').map_or(text.len() - c.i, |n| n + 1);
    }
    let Ok(root) = c.value() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(text, root, "", "", &mut out);
    out
}

/// The field written at byte `at` (its name or its value, innermost first): its path and the
/// span from its name to the end of its value.
pub fn field_at(text: &str, at: usize) -> Option<(String, Span)> {
    field_in_text(text, at, false)
}

/// The innermost field whose name or value holds byte `at` (a struct's closing bracket belongs
/// to the field the struct is the value of): its path and span.
pub fn field_around(text: &str, at: usize) -> Option<(String, Span)> {
    field_in_text(text, at, true)
}

fn field_in_text(text: &str, at: usize, around: bool) -> Option<(String, Span)> {
    let mut c = Cursor {
        b: text.as_bytes(),
        i: 0,
    };
    let top = c.value().ok()?;
    field_at_in(text, top, "", at, around)
}

fn field_at_in(
    text: &str,
    value: Span,
    path: &str,
    at: usize,
    around: bool,
) -> Option<(String, Span)> {
    let join = |name: &str| {
        if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    if let Some(body) = inner(text, value, b'(')
        && let Ok(list) = fields(text, body)
    {
        for (k, v) in list {
            let p = join(&text[k.start..k.end]);
            if k.start <= at && at <= k.end {
                return Some((
                    p,
                    Span {
                        start: k.start,
                        end: v.end,
                    },
                ));
            }
            if v.start <= at && at < v.end {
                let span = Span {
                    start: k.start,
                    end: v.end,
                };
                return field_at_in(text, v, &p, at, around)
                    .or_else(|| around.then_some((p, span)));
            }
        }
    }
    if let Some(body) = inner(text, value, b'[') {
        for (i, item) in items(text, body).ok()?.into_iter().enumerate() {
            if item.start <= at && at < item.end {
                // A list item's closing bracket belongs to the item (around), as a struct's does to
                // its field.
                let here = format!("{path}[{i}]");
                return field_at_in(text, item, &here, at, around)
                    .or_else(|| around.then_some((here, item)));
            }
        }
    }
    None
}

/// 1-based line and column of the value at `path`, if it is written in the text.
pub fn position(text: &str, path: &str) -> Option<(usize, usize)> {
    let Ok(Found::Value(span)) = locate(text, path) else {
        return None;
    };
    let before = &text[..span.start];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some((line, column))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = r#"Scenario(
    name: "x", // a comment with ) and , inside
    fleet: [
        (name: "a", gpus: 64, sku: "H100-SXM"),
        (name: "b", gpus: 8, price: Pert(1, 2, 3)),
    ],
    energy: (tariff: Flat(price_usd_per_kwh: 0.08), note: "a, (b)"),
    empty: (),
)"#;

    #[test]
    fn finds_and_replaces_values_at_paths() {
        assert_eq!(get(T, "fleet[1].gpus").as_deref(), Ok("8"));
        assert_eq!(get(T, "fleet[1].price").as_deref(), Ok("Pert(1, 2, 3)"));
        assert_eq!(
            get(T, "energy.tariff.price_usd_per_kwh").as_deref(),
            Ok("0.08")
        );
        assert_eq!(get(T, "energy.note").as_deref(), Ok("\"a, (b)\""));
        assert_eq!(list(T, "fleet").map(|v| v.len()), Ok(2));
        let t = set(T, "fleet[0].gpus", "128").expect("set");
        assert_eq!(get(&t, "fleet[0].gpus").as_deref(), Ok("128"));
        assert_eq!(get(&t, "fleet[1].gpus").as_deref(), Ok("8"));
        let t = set(T, "energy.tariff", "Market(preset: \"ercot-like\")").expect("set");
        assert_eq!(
            get(&t, "energy.tariff").as_deref(),
            Ok("Market(preset: \"ercot-like\")")
        );
    }

    #[test]
    fn strings_of_every_kind_and_nested_comments_are_skipped() {
        let t = r###"/* a /* nested */ comment */ Scenario(
    name: r#"5" rack, (with) ] brackets"#, // raw string with a lone quote
    note: r"plain raw", bytes: b"x\"y", raw_bytes: br##"a"#b"##, quote: '"', tick: '\'',
    /* block /* nested */ still a comment ) ] */ fleet: [(gpus: 64)],
)"###;
        assert_eq!(
            get(t, "name").as_deref(),
            Ok(r##"r#"5" rack, (with) ] brackets"#"##)
        );
        assert_eq!(get(t, "note").as_deref(), Ok("r\"plain raw\""));
        assert_eq!(get(t, "bytes").as_deref(), Ok(r#"b"x\"y""#));
        assert_eq!(get(t, "raw_bytes").as_deref(), Ok(r###"br##"a"#b"##"###));
        assert_eq!(get(t, "quote").as_deref(), Ok("'\"'"));
        assert_eq!(get(t, "tick").as_deref(), Ok(r"'\''"));
        assert_eq!(get(t, "fleet[0].gpus").as_deref(), Ok("64"));
        assert_eq!(position(t, "fleet[0].gpus"), Some((4, 65)));
        let set = set(t, "fleet[0].gpus", "8").expect("set");
        assert_eq!(get(&set, "fleet[0].gpus").as_deref(), Ok("8"));
        assert_eq!(leaves(t).len(), 7);
    }

    #[test]
    fn unclosed_strings_and_comments_never_panic() {
        // Every prefix of a text with every kind of literal and comment: no panic, whatever
        // the answer.
        let t = r###"Scenario(name: r#"a"b"#, c: "d\"e", f: 'g', h: b"i", /* j /* k */ */ l: [1, (m: 2)], // n
)"###;
        for end in 0..=t.len() {
            let text = &t[..end];
            for path in ["name", "c", "l[1].m", "l", "zz", "f"] {
                let _ = get(text, path);
                let _ = set(text, path, "1");
                let _ = position(text, path);
            }
            let _ = leaves(text);
        }
    }

    #[test]
    fn adds_missing_fields_and_names_bad_paths() {
        let t = set(T, "fleet[0].order_month", "6").expect("insert");
        assert_eq!(get(&t, "fleet[0].order_month").as_deref(), Ok("6"));
        assert_eq!(get(&t, "fleet[0].gpus").as_deref(), Ok("64"));
        let t = set(T, "empty.a", "1").expect("insert into an empty struct");
        assert_eq!(get(&t, "empty.a").as_deref(), Ok("1"));
        assert_eq!(
            get(T, "fleet[5].gpus").unwrap_err(),
            "`fleet` has 2 items; there is no [5]"
        );
        assert_eq!(
            get(T, "energy.missing").unwrap_err(),
            "`energy.missing` is not written in the scenario"
        );
        assert_eq!(
            get(T, "site.name").unwrap_err(),
            "no field `site` in `the scenario`"
        );
        assert_eq!(
            get(T, "nothing.deeper").unwrap_err(),
            "no field `nothing` in `the scenario`"
        );
        assert!(get(T, "fleet[x]").is_err());
        assert_eq!(get(T, "fleet[1].price.2").as_deref(), Ok("3"));
        let t = set(T, "fleet[1].price.0", "1.5").expect("set a tuple item");
        assert_eq!(get(&t, "fleet[1].price").as_deref(), Ok("Pert(1.5, 2, 3)"));
        assert!(get(T, "fleet[1].price.3").is_err());
    }

    #[test]
    fn a_value_set_with_its_source_replaces_the_old_comment() {
        let text = "Scenario(\n    fleet: [\n        (\n            name: \"a\",\n            gpus: 4096, // the build: 512 eight-GPU servers\n        ),\n        (name: \"b\", gpus: 8, sku: \"H100-SXM\", price: Pert(1, 2, 3)), // P: tranche b\n    ],\n    energy: (tariff: Flat(price_usd_per_kwh: 0.0892)), // P: Virginia\n    site: (name: \"x\"), // E: the site\n    empty: (), // nothing\n)";
        let source = |l: &[Leaf], p: &str| {
            l.iter()
                .find(|x| x.path == p)
                .map(|x| (x.value.clone(), x.comment.clone()))
                .unwrap_or_else(|| panic!("{p} in {l:?}"))
        };
        let before = leaves(text);
        assert_eq!(
            source(&before, "fleet[0].gpus").1,
            "the build: 512 eight-GPU servers"
        );
        // Plain `set` keeps the stale comment: the reason for `set_with_source`.
        assert_eq!(
            source(
                &leaves(&set(text, "fleet[0].gpus", "3584").expect("set")),
                "fleet[0].gpus"
            )
            .1,
            "the build: 512 eight-GPU servers"
        );
        let mut t = text.to_string();
        for (path, value) in [
            ("fleet[0].gpus", "3584"),
            ("fleet[1].gpus", "16"),
            ("energy.tariff.price_usd_per_kwh", "0.1"),
            ("site.pue", "1.3"),
            ("empty.a", "1"),
            ("energy.tariff.price_usd_per_kwh", "0.11"),
            ("fleet[1].price.1", "2.5"),
        ] {
            t = set_with_source(&t, path, value, &format!("set by a test:\n{path}")).expect(path);
        }
        let after = leaves(&t);
        assert_eq!(
            source(&after, "fleet[0].gpus"),
            ("3584".into(), "set by a test: fleet[0].gpus".into())
        );
        assert_eq!(
            source(&after, "fleet[1].gpus"),
            ("16".into(), "set by a test: fleet[1].gpus".into())
        );
        // Set twice: the second source replaces the first.
        assert_eq!(
            source(&after, "energy.tariff.price_usd_per_kwh"),
            (
                "0.11".into(),
                "set by a test: energy.tariff.price_usd_per_kwh".into()
            )
        );
        // A tuple position: the distribution it belongs to carries the source.
        assert_eq!(
            source(&after, "fleet[1].price"),
            (
                "Pert(1, 2.5, 3)".into(),
                "set by a test: fleet[1].price.1".into()
            )
        );
        assert_eq!(
            source(&after, "site.pue"),
            ("1.3".into(), "set by a test: site.pue".into())
        );
        assert_eq!(
            source(&after, "empty.a"),
            ("1".into(), "set by a test: empty.a".into())
        );
        // The values around keep their own sources.
        assert_eq!(source(&after, "fleet[0].name").1, "");
        assert_eq!(source(&after, "fleet[1].name").1, "P: tranche b");
        assert_eq!(
            source(&after, "fleet[1].sku"),
            ("\"H100-SXM\"".into(), "P: tranche b".into())
        );
        assert_eq!(source(&after, "site.name").1, "E: the site");
        assert!(!t.contains("512 eight-GPU"), "{t}");
        assert_eq!(
            after.len(),
            before.len() + 1,
            "site.pue added, empty.a in place of the empty struct: {t}"
        );
    }

    #[test]
    fn lists_leaves_with_their_comments_and_positions() {
        let text = "Scenario(\n    name: \"x\", // the name\n    site: (\n        pue: Triangular(1.2, 1.3,\n            1.4), // E: a source\n        phases: [(name: \"a\", it_mw: 2), (name: \"b\", it_mw: 3)], // D: both phases\n    ),\n    tags: [1, 2],\n)";
        let l = leaves(text);
        let find = |p: &str| {
            l.iter()
                .find(|x| x.path == p)
                .unwrap_or_else(|| panic!("{p} in {l:?}"))
        };
        assert_eq!(find("name").comment, "the name");
        assert_eq!(find("site.pue").value, "Triangular(1.2, 1.3, 1.4)");
        assert_eq!(find("site.pue").comment, "E: a source");
        assert_eq!(find("site.phases[1].it_mw").value, "3");
        assert_eq!(find("site.phases[1].it_mw").comment, "D: both phases");
        assert_eq!(find("tags").value, "[1, 2]");
        assert_eq!(find("tags").comment, "");
        assert_eq!(position(text, "site.pue"), Some((4, 14)));
        assert_eq!(position(text, "site.phases[1].it_mw"), Some((6, 60)));
    }
}
