//! For the daemon benchmark: reads the wall clock (the host's, through
//! wasi:clocks/wall-clock) as its very first action and prints it as
//! `stamp: <nanoseconds since the Unix epoch>`, so the host can tell when
//! `main` started.

use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    let now = SystemTime::now();
    let nanos = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    println!("stamp: {nanos}");
}
