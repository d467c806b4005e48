//! The `gauth` binary: everything lives in the library; this only maps the
//! outcome of `gauth::run` to the process exit code.
fn main() -> std::process::ExitCode {
    gauth::main_with(std::env::args_os(), gauth::system::env::Env::from_process())
}
