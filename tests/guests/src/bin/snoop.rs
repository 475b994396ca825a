//! Prints everything a job can see of its surroundings: environment,
//! arguments, working directory, and what happens when it tries the
//! filesystem. With ECHO_PATH it also fetches that path (tests point it at
//! a Canvas answer that echoes the token) and prints the answer. With
//! NEEDLE_XOR (the token, each byte XORed with 0x5A, in hex) it scans its
//! whole linear memory for the token without ever holding the token itself.
//! Tests check that the token is nowhere in any of it.

use warden_sdk::raw::warden::canvas::api::{self, HttpRequest, Method};

fn attempt<T, E: std::fmt::Display>(what: &str, r: Result<T, E>) {
    match r {
        Ok(_) => println!("{what}: OK"),
        Err(e) => println!("{what}: error: {e}"),
    }
}

fn main() {
    for (k, v) in std::env::vars() {
        println!("env {k}={v}");
    }
    for a in std::env::args() {
        println!("arg {a}");
    }
    attempt("cwd", std::env::current_dir());
    attempt("read_dir /", std::fs::read_dir("/"));
    attempt("read_dir .", std::fs::read_dir("."));
    attempt("read /etc/passwd", std::fs::read("/etc/passwd"));
    attempt(
        "read /proc/self/environ",
        std::fs::read("/proc/self/environ"),
    );
    attempt(
        "write /tmp/warden-snoop",
        std::fs::write("/tmp/warden-snoop", b"x"),
    );
    attempt("write out.txt", std::fs::write("out.txt", b"x"));

    if let Ok(path) = std::env::var("ECHO_PATH") {
        let req = HttpRequest {
            method: Method::Get,
            path,
            query: vec![],
            headers: vec![],
            body: None,
        };
        match api::request(&req) {
            Ok(r) => {
                println!("echo status {}", r.status);
                for (k, v) in &r.headers {
                    println!("echo header {k}: {v}");
                }
                println!("echo body {}", String::from_utf8_lossy(&r.body));
            }
            Err(e) => println!("echo error {e:?}"),
        }
    }

    if let Ok(hex) = std::env::var("NEEDLE_XOR") {
        let masked: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
            .collect();
        let (scanned, found) = scan_memory(&masked);
        println!("memory scanned {scanned} bytes, token found {found} times");
    }
}

/// Looks for the token in all of linear memory, comparing each byte XORed
/// with 0x5A against `masked`, so the token is never built in memory.
#[cfg(target_arch = "wasm32")]
fn scan_memory(masked: &[u8]) -> (usize, usize) {
    let size = core::arch::wasm32::memory_size::<0>() * 65536;
    let byte = |addr: usize| -> u8 {
        // SAFETY: every address below memory.size is readable in wasm32.
        unsafe { std::ptr::read_volatile(addr as *const u8) }
    };
    let mut found = 0;
    for start in 1..size.saturating_sub(masked.len()) {
        if masked
            .iter()
            .enumerate()
            .all(|(i, m)| byte(start + i) ^ 0x5A == *m)
        {
            found += 1;
        }
    }
    (size, found)
}

#[cfg(not(target_arch = "wasm32"))]
fn scan_memory(_: &[u8]) -> (usize, usize) {
    (0, 0)
}
