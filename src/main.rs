use std::process::ExitCode;

fn main() -> ExitCode {
    polyzone::cli::main()
}
