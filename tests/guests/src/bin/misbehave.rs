//! One misbehaviour per MODE: spin, alloc, recurse, panic, exit, chatty,
//! hang (a Canvas request that never gets an answer), canvas-error (gives
//! up after a refused Canvas request), ok.

use std::hint::black_box;

/// Recurses without end: that is the point.
#[allow(unconditional_recursion)]
fn recurse(n: u64) -> u64 {
    let buf = black_box([n; 64]);
    recurse(n + 1) + buf[3]
}

fn main() {
    let mode = std::env::var("MODE").unwrap_or_default();
    println!("misbehave: {mode}");
    match mode.as_str() {
        "spin" => {
            let mut x = 0u64;
            loop {
                x = black_box(x.wrapping_add(1));
            }
        }
        "alloc" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![7u8; 1 << 20]);
                black_box(&hoard);
            }
        }
        "recurse" => {
            println!("{}", recurse(0));
        }
        "panic" => panic!("boom: the job gave up"),
        "exit" => std::process::exit(3),
        "chatty" => {
            let line = "x".repeat(1023);
            for _ in 0..8 * 1024 {
                println!("{line}");
            }
            eprintln!("chatty: done");
        }
        "hang" => {
            let r = warden_sdk::canvas::get("/api/v1/courses/1").send();
            println!("hang: request returned: {:?}", r.map(|r| r.status()));
        }
        "canvas-error" => {
            // A job that gives up on a failed Canvas call, as most do.
            if let Err(e) = warden_sdk::canvas::get("/api/v1/courses/1").send() {
                eprintln!("working on course 1");
                eprintln!("Error: cannot read course 1: {e}");
                std::process::exit(1);
            }
        }
        "ok" => println!("misbehave: fine"),
        other => {
            eprintln!("unknown MODE {other:?}");
            std::process::exit(64);
        }
    }
}
