//! The `flowbench` binary: the headless CLI (`run`, `check`); with no arguments, the workbench
//! window.

fn main() {
    let code = flowbench::cli::main(std::env::args().skip(1).collect());
    std::process::exit(code);
}
