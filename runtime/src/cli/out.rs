//! Standard output of the commands that print reports. Writing goes through
//! [`write`], which returns the error instead of panicking as `println!`
//! does, so that a reader that goes away (`warden logs … | head`) ends the
//! command quietly, with exit code 0, as ripgrep does.

use std::fmt;
use std::io::{self, Write as _};

/// `print!` that returns an I/O error (use inside a function returning
/// `anyhow::Result`).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::out::write(format_args!($($arg)*))?
    };
}

/// `println!` that returns an I/O error.
macro_rules! outln {
    () => {
        $crate::cli::out::write(format_args!("\n"))?
    };
    ($($arg:tt)*) => {
        $crate::cli::out::write(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

pub(crate) use {out, outln};

pub fn write(args: fmt::Arguments<'_>) -> io::Result<()> {
    io::stdout().lock().write_fmt(args)
}

/// Whether `error` is a write to a pipe whose reader has gone.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
