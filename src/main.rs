fn main() -> std::process::ExitCode {
    sirops::cli::main()
}
