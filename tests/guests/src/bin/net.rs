//! Tries to open a TCP connection and resolve a name with std::net. Such a
//! component imports wasi:sockets and must be refused at load.

use std::net::ToSocketAddrs;

fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "127.0.0.1:80".into());
    match std::net::TcpStream::connect(&target) {
        Ok(_) => println!("connected to {target}"),
        Err(e) => println!("connect failed: {e}"),
    }
    match "localhost:80".to_socket_addrs() {
        Ok(addrs) => println!("resolved {} addresses", addrs.count()),
        Err(e) => println!("lookup failed: {e}"),
    }
}
