//! The headless command line: `flowbench run FILE` replays a project's script and prints exactly
//! what the TF program prints; `flowbench check FILE` validates a file. Errors end with TF's class
//! and message and a non-zero exit code.

use crate::project::Project;
use crate::project::script::{ScriptOutput, run_script};
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;

/// The command line.
#[derive(Parser, Debug)]
#[command(name = "flowbench", version, about = "A workbench for the TensorFlow 1.x graph-and-session model")]
pub struct Cli {
    /// What to do; with none, the workbench window opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a project's script and print what the TF program prints.
    Run {
        /// The project file (.json).
        file: PathBuf,
    },
    /// Validate a project file.
    Check {
        /// The project file (.json).
        file: PathBuf,
    },
}

/// Runs the CLI with `args` (without the program name); returns the exit code.
pub fn main(args: Vec<String>) -> i32 {
    let cli = match Cli::try_parse_from(std::iter::once("flowbench".to_string()).chain(args)) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        None => {
            drop(out);
            crate::app::run_window()
        }
        Some(Command::Check { file }) => match Project::load(&file) {
            Ok(p) => {
                let nodes: usize = p.graphs.iter().map(|g| g.nodes.len()).sum();
                let _ = writeln!(
                    out,
                    "{}: ok ({} graph(s), {} node(s), {} step(s))",
                    file.display(),
                    p.graphs.len(),
                    nodes,
                    p.script.len()
                );
                0
            }
            Err(e) => {
                eprintln!("{}: {e}", file.display());
                1
            }
        },
        Some(Command::Run { file }) => {
            let project = match Project::load(&file) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("{}: {e}", file.display());
                    return 1;
                }
            };
            run_project(&project, &mut out)
        }
    }
}

/// Runs a project's script, writing its output to `out`; on error prints `Class: message` to
/// stderr and returns 1.
pub fn run_project(project: &Project, out: &mut dyn Write) -> i32 {
    let mut write_err = None;
    let result = run_script(project, &mut |o| {
        let text = match o {
            ScriptOutput::Text(t) => t,
            ScriptOutput::Placement(line) => line + "\n",
        };
        if let Err(e) = out.write_all(text.as_bytes()) {
            write_err.get_or_insert(e);
        }
    });
    let _ = out.flush();
    match result {
        Ok(_) if write_err.is_none() => 0,
        Ok(_) => 1,
        Err(e) => {
            match &e.node {
                Some(n) => eprintln!("{e}\n  (at node '{n}')"),
                None => eprintln!("{e}"),
            }
            1
        }
    }
}
