//! Printing for people: standard output with control characters made harmless, where a closed
//! pipe (the reader, e.g. `head`, has had enough) ends the program quietly; standard error
//! likewise made harmless.

use std::io::Write;

/// Print a line on standard output, with control characters made harmless; a closed pipe ends
/// the program quietly.
macro_rules! outln {
    () => { $crate::commands::console::say("\n") };
    ($($arg:tt)*) => { $crate::commands::console::say(&format!("{}\n", format_args!($($arg)*))) };
}

/// Print a line on standard error, with control characters made harmless.
macro_rules! errln {
    ($($arg:tt)*) => { eprintln!("{}", $crate::store::output::clean_for_terminal(&format!($($arg)*))) };
}

pub(crate) use {errln, outln};

/// Write text to standard output; a closed pipe ends the program quietly (exit 0), as ripgrep does.
pub(crate) fn say(text: &str) {
    write_stdout(crate::store::output::clean_for_terminal(text).as_bytes());
}

/// Write bytes to standard output as they are; a closed pipe ends the program quietly (exit 0).
pub fn write_stdout(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: writing to standard output: {e}");
        std::process::exit(1);
    }
}
