//! The local Security IR emulator (design section 6). Placeholder until its own change lands.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How `sirops emulator` (and an in-process emulator) runs.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub listen: SocketAddr,
    pub state_file: Option<PathBuf>,
    pub latency: Duration,
    pub fault_rate: f64,
    pub seed: u64,
}

/// Serves until Ctrl-C. The first line on stdout is `listening on http://HOST:PORT`.
pub async fn run(config: EmulatorConfig) -> std::io::Result<()> {
    let _ = config;
    todo!("emulator change")
}
