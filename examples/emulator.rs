//! The emulator as its own process, with the flags of `sirops emulator`, for running it before
//! the `sirops` CLI exposes it: `cargo run --example emulator -- --state state.json`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use sirops::emulator::EmulatorConfig;

const USAGE: &str =
    "usage: emulator [--listen ADDR] [--state FILE] [--latency-ms N] [--fault-rate P] [--seed N]";

fn parse_arguments() -> Result<EmulatorConfig, String> {
    let mut config = EmulatorConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 4566)),
        ..EmulatorConfig::default()
    };
    let mut arguments = std::env::args().skip(1);
    while let Some(flag) = arguments.next() {
        let mut value = || {
            arguments
                .next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        let invalid = |what: &str| format!("{flag}: not {what}\n{USAGE}");
        match flag.as_str() {
            "--listen" => {
                config.listen = value()?
                    .parse()
                    .map_err(|_| invalid("an address like 127.0.0.1:4566"))?
            }
            "--state" => config.state_file = Some(value()?.into()),
            "--latency-ms" => {
                config.latency =
                    Duration::from_millis(value()?.parse().map_err(|_| invalid("a number"))?)
            }
            "--fault-rate" => {
                config.fault_rate = value()?.parse().map_err(|_| invalid("a number in 0..1"))?
            }
            "--seed" => config.seed = value()?.parse().map_err(|_| invalid("a number"))?,
            "--help" | "-h" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse_arguments() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match sirops::emulator::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
