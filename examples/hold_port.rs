//! A tiny listener for the Windows end-to-end check (`.ci/win-e2e`): binds
//! 127.0.0.1:PORT, prints `READY <pid>` and waits to be killed. Built for
//! the Windows target and run under wine, where Python and R are not.
use std::io::Write;

fn main() -> std::process::ExitCode {
    let Some(port) = std::env::args().nth(1).and_then(|p| p.parse::<u16>().ok()) else {
        eprintln!("usage: hold_port PORT");
        return std::process::ExitCode::from(2);
    };
    let listener = match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("hold_port: cannot bind 127.0.0.1:{port}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("READY {}", std::process::id());
    let _ = std::io::stdout().flush();
    // Accept and drop connections until killed.
    for conn in listener.incoming() {
        drop(conn);
    }
    std::process::ExitCode::SUCCESS
}
