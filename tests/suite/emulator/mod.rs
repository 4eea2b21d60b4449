//! The emulator driven through the real `aws-sdk-securityir` client over loopback: every
//! operation, every error the emulator answers (parsed by the SDK into its typed variant),
//! faults, durability across SIGKILL, and concurrent clients.

mod actors;
mod concurrency;
mod durability;
mod errors;
mod faults;
mod model_limits;
mod operations;
mod properties;
mod quotas;
mod resources;
mod strict;
