//! The emulator driven through the real `aws-sdk-securityir` client over loopback: every
//! operation, every error the emulator answers (parsed by the SDK into its typed variant),
//! faults, durability across SIGKILL, and concurrent clients.

#[path = "emulator/support.rs"]
mod support;

#[path = "emulator/actors.rs"]
mod actors;
#[path = "emulator/concurrency.rs"]
mod concurrency;
#[path = "emulator/durability.rs"]
mod durability;
#[path = "emulator/errors.rs"]
mod errors;
#[path = "emulator/faults.rs"]
mod faults;
#[path = "emulator/operations.rs"]
mod operations;
#[path = "emulator/properties.rs"]
mod properties;
#[path = "emulator/quotas.rs"]
mod quotas;
#[path = "emulator/resources.rs"]
mod resources;
#[path = "emulator/strict.rs"]
mod strict;
