//! Entry point: parse the command line and hand over to [`moxi_setup::cli`]. No logic here.

fn main() -> std::process::ExitCode {
    moxi_setup::cli::main()
}
