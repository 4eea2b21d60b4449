//! The emulator as its own process, for tools that want a binary to start rather than the
//! `sirops` CLI: `cargo run --example emulator -- --state state.json --rate-limit 10`. It takes
//! exactly the flags of `sirops emulator`, parsed by the same definition.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let arguments = ["sirops".to_string(), "emulator".to_string()]
        .into_iter()
        .chain(std::env::args().skip(1));
    let cli = match sirops::cli::Cli::try_parse_from(arguments) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(u8::from(error.use_stderr()));
        }
    };
    match sirops::cli::run(cli).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}
