//! The headless command line: `flowbench run FILE` replays a project's script and prints exactly
//! what the TF program prints; `flowbench check FILE` validates a file. Errors end with TF's class
//! and message and a non-zero exit code.

use crate::engine::runtime::observer::TensorFilter;
use crate::interpreter::{ScriptOutput, run_script_with_logdir};
use crate::project::io::{same_file, write_atomic};
use crate::project::{Project, ProjectError};
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The command line.
#[derive(Parser, Debug)]
#[command(
    name = "flowbench",
    version,
    about = "A workbench for the TensorFlow 1.x graph-and-session model",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do; with none, the workbench window opens.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// A project file (.json) to open in the window.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a project's script and print what the TF program prints.
    Run {
        /// The project file (.json), or a TF1 Python program (.py).
        file: PathBuf,
        /// Write TensorBoard event files of the train loops into this folder.
        #[arg(long)]
        logdir: Option<PathBuf>,
        /// For a .py program: stop it after this many seconds.
        #[arg(long, value_name = "S")]
        max_seconds: Option<f64>,
    },
    /// Run a TF1 Python program and save what it built as a project (graphs, configs and a
    /// script that replays it).
    Import {
        /// The program (.py).
        file: PathBuf,
        /// The project file to write (.json).
        #[arg(short, long)]
        output: PathBuf,
        /// Stop the program after this many seconds.
        #[arg(long, value_name = "S")]
        max_seconds: Option<f64>,
    },
    /// Validate a project file.
    Check {
        /// The project file (.json).
        file: PathBuf,
    },
    /// Export a project as a program that runs under real TensorFlow.
    Export {
        /// The project file (.json).
        file: PathBuf,
        /// The output format.
        #[arg(long, value_enum, default_value = "python")]
        format: ExportFormat,
        /// Where to write it; standard output when absent.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Write the script even when some ops or settings have no TF equivalent (they are listed
        /// on stderr and marked `# unsupported:` in the script).
        #[arg(long)]
        allow_unsupported: bool,
        /// For graphdef/pbtxt/meta: which graph (the default graph when absent).
        #[arg(long)]
        graph: Option<String>,
    },
    /// Import a CSV file as a dataset of a project (the project file is rewritten).
    ImportCsv {
        /// The project file (.json).
        project: PathBuf,
        /// The CSV file.
        csv: PathBuf,
        /// Feature columns, by header name or 1-based number (all but the label when absent).
        #[arg(long, value_delimiter = ',')]
        features: Vec<String>,
        /// The label column.
        #[arg(long)]
        label: Option<String>,
        /// The dataset's name (default: the CSV file's stem); an existing one is replaced.
        #[arg(long)]
        name: Option<String>,
        /// New names for the kept columns (features, then the label).
        #[arg(long = "as", value_delimiter = ',')]
        rename: Vec<String>,
        /// Store the rows in the project (the default).
        #[arg(long, conflicts_with = "reference")]
        embed: bool,
        /// Refer to the CSV file by a path relative to the project file.
        #[arg(long)]
        reference: bool,
        /// The first row is a header (default: detected).
        #[arg(long, conflicts_with = "no_header")]
        header: bool,
        /// The first row is data.
        #[arg(long)]
        no_header: bool,
        /// Write the project here instead of over the input.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Measure training speed in steps/s: (a) the seed program, (b) a 2-8-8-1 spiral net, (c) an
    /// MLP 784-512-10, (d) the MNIST program's net; with `--tf`, the same workloads in TensorFlow
    /// in the same run, interleaved, and the ratio with its spread.
    Bench {
        /// Which workloads (`a`, `b`, `c`, `d`); all when none is given.
        workloads: Vec<String>,
        /// A Python with TensorFlow 2.x (e.g. /work/tfvenv/bin/python): runs `tools/bench_tf.py`.
        #[arg(long, value_name = "PYTHON")]
        tf: Option<PathBuf>,
        /// Timed rounds per workload (after one warm-up).
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: crate::bench::Format,
        /// Measure the window under load instead: frame times while the seed's example trains,
        /// as its history grows, and the worker's speed with the window open and closed.
        #[arg(long)]
        window: bool,
        /// With `--window`: the step counts to sample frames at.
        #[arg(long, value_delimiter = ',', default_values_t = crate::app::frame_bench::DEFAULT_HISTORY)]
        history: Vec<u64>,
    },
    /// Make a project from TF's graph file (`.pb` GraphDef or `.meta` MetaGraphDef).
    ImportGraphdef {
        /// The graph file (.pb, .pbtxt or .meta).
        file: PathBuf,
        /// The project file to write (.json).
        #[arg(short, long)]
        output: PathBuf,
        /// Write the project even when some nodes have ops flowbench lacks (they are left out and
        /// listed on stderr, with the nodes that depend on them).
        #[arg(long)]
        allow_unsupported: bool,
    },
    /// TF checkpoints (`model.ckpt.index` + `.data-*`): `ckpt inspect PREFIX`.
    Ckpt {
        /// What to do.
        #[command(subcommand)]
        action: CkptCommand,
    },
    /// Replay a project's script under the debugger (tfdbg): print each op as it runs, as
    /// `name:k (Type) -> shape dtype min/mean/max`, and stop where asked, naming the op and the
    /// run or training step.
    ///
    /// Each session.run outside a train loop prints a header (`run N: fetches [...]`) and every
    /// op it executes; the program's own output is printed as `flowbench run` prints it. A train
    /// loop prints one line when it starts and one when it ends; when it stops inside a training
    /// step, the ops of that step up to the stop are printed (the runs that log the loss are
    /// counted, not printed). The rest of the script is not run after a stop.
    #[command(after_help = "Example: flowbench debug assets/examples/debug_log_of_zero.json --until has_inf_or_nan")]
    Debug {
        /// The project file (.json).
        file: PathBuf,
        /// Stop at the first op whose output holds an inf or NaN (`has_inf_or_nan`), whose
        /// output is all zeros (`all_zeros`), or holds an element larger than --threshold in
        /// magnitude (`larger_than`).
        #[arg(long, value_enum, conflicts_with = "until_node")]
        until: Option<DebugUntil>,
        /// The magnitude `--until larger_than` looks for.
        #[arg(long, value_name = "X", requires = "until")]
        threshold: Option<f64>,
        /// Stop right after this op runs (`Log` or `Log:0`).
        #[arg(long, value_name = "NAME")]
        until_node: Option<String>,
        /// Watch training step N (0-based, the loop's `i`) of the train loops: with --until or
        /// --until-node, check only from that step on (plain runs are not checked); alone, stop
        /// after that step, printing its ops.
        #[arg(long, value_name = "N")]
        step: Option<u64>,
    },
}

/// `debug --until`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebugUntil {
    /// An output holds an inf or NaN (tfdbg's `has_inf_or_nan` filter).
    #[value(name = "has_inf_or_nan")]
    HasInfOrNan,
    /// An output whose elements are all zero.
    #[value(name = "all_zeros")]
    AllZeros,
    /// An output with an element larger than `--threshold` in magnitude.
    #[value(name = "larger_than")]
    LargerThan,
}

/// `flowbench ckpt ...`.
#[derive(Subcommand, Debug)]
pub enum CkptCommand {
    /// Print a checkpoint's variables with dtypes and shapes, as TF's `inspect_checkpoint` does.
    Inspect {
        /// The checkpoint's prefix (`dir/model.ckpt`), or a folder with a `checkpoint` file.
        prefix: PathBuf,
        /// Print every tensor's value too.
        #[arg(long)]
        values: bool,
        /// Print only this tensor, with its value.
        #[arg(long)]
        tensor: Option<String>,
    },
}

/// `export --format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// A TensorFlow `compat.v1` Python script.
    Python,
    /// TF's binary `GraphDef` (`.pb`) of a graph.
    Graphdef,
    /// TF's `GraphDef` in protobuf text format (`.pbtxt`).
    Pbtxt,
    /// TF's `MetaGraphDef` (`.meta`).
    Meta,
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
            crate::app::run_window(cli.file)
        }
        Some(Command::Check { file }) => match Project::load(&file).and_then(|p| p.check_data_paths().map(|()| p)) {
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
                report(&file, &e);
                1
            }
        },
        Some(Command::Bench { window: true, history, .. }) => {
            let b = crate::app::frame_bench::run(&history);
            match crate::app::frame_bench::print(&b, &mut out) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("{e}");
                    1
                }
            }
        }
        Some(Command::Bench { workloads, tf, rounds, format, .. }) => {
            let opts = crate::bench::BenchOptions { workloads, tf_python: tf, rounds, format };
            match crate::bench::run(&opts, &mut out) {
                Ok(_) => 0,
                Err(e) => {
                    eprintln!("{e}");
                    1
                }
            }
        }
        Some(Command::Export { file, format: ExportFormat::Python, output, allow_unsupported, graph: _ }) => {
            export_command(&file, output.as_deref(), allow_unsupported, &mut out)
        }
        Some(Command::Export { file, format, output, allow_unsupported, graph }) => {
            let format = match format {
                ExportFormat::Pbtxt => crate::export::graphdef::GraphFormat::Text,
                ExportFormat::Meta => crate::export::graphdef::GraphFormat::Meta,
                _ => crate::export::graphdef::GraphFormat::Binary,
            };
            export_graph_command(&file, graph.as_deref(), format, output.as_deref(), allow_unsupported, &mut out)
        }
        Some(Command::ImportCsv {
            project,
            csv,
            features,
            label,
            name,
            rename,
            embed: _,
            reference,
            header,
            no_header,
            output,
        }) => {
            let opts = crate::project::csv::ImportOptions {
                name: name.unwrap_or_default(),
                features,
                label,
                rename,
                header: match (header, no_header) {
                    (true, _) => crate::project::csv::Header::Yes,
                    (_, true) => crate::project::csv::Header::No,
                    _ => crate::project::csv::Header::Auto,
                },
                storage: if reference {
                    crate::project::csv::Storage::Reference
                } else {
                    crate::project::csv::Storage::Embed
                },
            };
            import_csv_command(&project, &csv, output.as_deref(), &opts, &mut out)
        }
        Some(Command::ImportGraphdef { file, output, allow_unsupported }) => {
            import_graph_command(&file, &output, allow_unsupported, &mut out)
        }
        Some(Command::Ckpt { action: CkptCommand::Inspect { prefix, values, tensor } }) => {
            let text = crate::formats::inspect::resolve_prefix(&prefix).and_then(|p| {
                let reader = crate::formats::bundle::BundleReader::open(&p)?;
                crate::formats::inspect::inspect(&reader, tensor.as_deref(), values)
            });
            match text {
                Ok(t) => i32::from(out.write_all(t.as_bytes()).is_err()),
                Err(e) => {
                    eprintln!("{e}");
                    1
                }
            }
        }
        Some(Command::Run { file, max_seconds, .. }) if file.extension().is_some_and(|e| e == "py") => {
            crate::python::run_command(&file, max_seconds, &mut QuitOnClosedPipe(out))
        }
        Some(Command::Import { file, output, max_seconds }) => {
            crate::python::import_command(&file, &output, max_seconds, &mut out)
        }
        Some(Command::Run { file, logdir, .. }) => {
            let project = match Project::load(&file) {
                Ok(p) => p,
                Err(e) => {
                    report(&file, &e);
                    return 1;
                }
            };
            // `flowbench run long.json | head -1`: once the reader is gone, stop quietly.
            run_project_logged(&project, logdir.as_deref(), &mut QuitOnClosedPipe(out))
        }
        Some(Command::Debug { file, until, threshold, until_node, step }) => {
            let project = match Project::load(&file) {
                Ok(p) => p,
                Err(e) => {
                    report(&file, &e);
                    return 1;
                }
            };
            let until = match (until, until_node) {
                (Some(DebugUntil::HasInfOrNan), _) => {
                    Some(crate::interpreter::debug::Until::Filter(TensorFilter::HasInfOrNan))
                }
                (Some(DebugUntil::AllZeros), _) => {
                    Some(crate::interpreter::debug::Until::Filter(TensorFilter::AllZeros))
                }
                (Some(DebugUntil::LargerThan), _) => match threshold {
                    Some(x) if x.is_finite() && x >= 0.0 => {
                        Some(crate::interpreter::debug::Until::Filter(TensorFilter::LargerThan(x)))
                    }
                    _ => {
                        eprintln!("flowbench debug: --until larger_than needs --threshold X (a number >= 0)");
                        return 2;
                    }
                },
                (None, Some(n)) => Some(crate::interpreter::debug::Until::Node(n)),
                (None, None) => None,
            };
            let opts = crate::interpreter::debug::DebugOptions { until, step };
            debug_command(&project, &opts, &mut QuitOnClosedPipe(out))
        }
    }
}

/// `flowbench debug FILE ...`: replays the script under the debugger; exit code 0 whether it
/// stopped or ran to its end, 1 on an error of the program (printed as `flowbench run` prints it).
pub fn debug_command(project: &Project, opts: &crate::interpreter::debug::DebugOptions, out: &mut dyn Write) -> i32 {
    let mut write_err = None;
    let result = crate::interpreter::debug::debug_script(project, opts, &mut |text| {
        if let Err(e) = out.write_all(text.as_bytes()) {
            write_err.get_or_insert(e);
        }
    });
    let _ = out.flush();
    script_exit_code(result.map(|_| ()), write_err.is_some())
}

/// The exit code of a replayed script: 0, or 1 after a failed write of its output or an error
/// of the program (printed as `Class: message`, then the node it happened at).
fn script_exit_code(result: Result<(), crate::engine::Error>, write_failed: bool) -> i32 {
    match result {
        Ok(()) if !write_failed => 0,
        Ok(()) => 1,
        Err(e) => {
            match &e.node {
                Some(n) => eprintln!("{e}\n  (at node '{n}')"),
                None => eprintln!("{e}"),
            }
            1
        }
    }
}

/// Runs a project's script, writing its output to `out`; on error prints `Class: message` to
/// stderr and returns 1.
pub fn run_project(project: &Project, out: &mut dyn Write) -> i32 {
    run_project_logged(project, None, out)
}

/// [`run_project`], writing TensorBoard event files of the train loops into `logdir`.
pub fn run_project_logged(project: &Project, logdir: Option<&Path>, out: &mut dyn Write) -> i32 {
    let mut write_err = None;
    let result = run_script_with_logdir(project, logdir, &mut |o| {
        let text = match o {
            ScriptOutput::Text(t) => t,
            ScriptOutput::Placement(line) => line + "\n",
        };
        if let Err(e) = out.write_all(text.as_bytes()) {
            write_err.get_or_insert(e);
        }
    });
    let _ = out.flush();
    script_exit_code(result.map(|_| ()), write_err.is_some())
}

/// `flowbench export FILE [-o OUT]`: writes the TF script; unsupported ops fail the export unless
/// `allow_unsupported`.
pub fn export_command(file: &Path, output: Option<&Path>, allow_unsupported: bool, out: &mut dyn Write) -> i32 {
    if output_is_input(file, output) {
        return 1;
    }
    let project = match Project::load(file).and_then(|p| p.check_data_paths().map(|()| p)) {
        Ok(p) => p,
        Err(e) => {
            report(file, &e);
            return 1;
        }
    };
    let opts = crate::export::ExportOptions {
        project_dir: project.base_dir.get().map(Path::to_path_buf),
        script_dir: output
            .map(|o| o.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf()),
        ..Default::default()
    };
    let export = match crate::export::python::export(&project, &opts) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            return 1;
        }
    };
    if refuse_unsupported(
        file,
        &export.unsupported,
        allow_unsupported,
        "op(s) or setting(s) have no TensorFlow equivalent; nothing was written (--allow-unsupported writes the script anyway)",
    ) {
        return 1;
    }
    write_output(output, export.text.as_bytes(), out)
}

/// Lists what an export could not write on stderr; true (refuse) when there is any and
/// `allow_unsupported` is off.
fn refuse_unsupported(
    file: &Path,
    unsupported: &[impl std::fmt::Display],
    allow_unsupported: bool,
    what: &str,
) -> bool {
    for u in unsupported {
        eprintln!("unsupported: {u}");
    }
    if unsupported.is_empty() || allow_unsupported {
        return false;
    }
    eprintln!("{}: {} {what}", file.display(), unsupported.len());
    true
}

/// Writes an export to `output` atomically, or to `out` (stdout) without one.
fn write_output(output: Option<&Path>, bytes: &[u8], out: &mut dyn Write) -> i32 {
    match output {
        Some(path) => match write_atomic(path, bytes) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                1
            }
        },
        None => i32::from(out.write_all(bytes).is_err()),
    }
}

/// Refuses `-o` onto the project file itself (it would be overwritten by the export).
fn output_is_input(file: &Path, output: Option<&Path>) -> bool {
    match output {
        Some(o) if same_file(o, file) => {
            eprintln!("{}: the output is the project file itself; choose another file with -o", o.display());
            true
        }
        _ => false,
    }
}

/// `flowbench export FILE --format graphdef|pbtxt|meta [--graph G] [-o OUT]`: writes TF's graph
/// file; nodes TF cannot run fail the export unless `allow_unsupported`.
pub fn export_graph_command(
    file: &Path,
    graph: Option<&str>,
    format: crate::export::graphdef::GraphFormat,
    output: Option<&Path>,
    allow_unsupported: bool,
    out: &mut dyn Write,
) -> i32 {
    if output_is_input(file, output) {
        return 1;
    }
    let project = match Project::load(file) {
        Ok(p) => p,
        Err(e) => {
            report(file, &e);
            return 1;
        }
    };
    let export = match crate::export::graphdef::export_graph(&project, graph, format) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            return 1;
        }
    };
    if refuse_unsupported(
        file,
        &export.unsupported,
        allow_unsupported,
        "node(s) have no TensorFlow op; nothing was written (--allow-unsupported writes them under flowbench's op names)",
    ) {
        return 1;
    }
    write_output(output, &export.bytes, out)
}

/// `flowbench import-graphdef FILE -o OUT.json`: a project from TF's graph file; nodes with ops
/// flowbench lacks fail the import unless `allow_unsupported` (then they are left out).
pub fn import_graph_command(file: &Path, output: &Path, allow_unsupported: bool, out: &mut dyn Write) -> i32 {
    let gd = match crate::project::tf_graph::read_graph_file(file) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let name = file.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let (project, skipped) = crate::project::tf_graph::project_from_graph_def(&gd, &name);
    let project = crate::project::tf_graph::without_unsupported(project);
    for s in &skipped {
        eprintln!("unsupported: node '{}': {}", s.node, s.why);
    }
    if !skipped.is_empty() && !allow_unsupported {
        eprintln!(
            "{}: {} node(s) cannot be imported; nothing was written (--allow-unsupported leaves them out; `flowbench GRAPH` opens the graph in the window with them as nodes in error)",
            file.display(),
            skipped.len()
        );
        return 1;
    }
    if let Err(e) = project.validate() {
        eprintln!("{}: {e}", file.display());
        return 1;
    }
    if let Err(e) = project.save(output) {
        eprintln!("{e}");
        return 1;
    }
    let nodes = project.graphs.first().map_or(0, |g| g.nodes.len());
    i32::from(writeln!(out, "{}: {nodes} node(s) imported, {} left out", output.display(), skipped.len()).is_err())
}

/// `flowbench import-csv PROJECT CSV ...`: adds the dataset and saves the project (nothing is
/// written when the import fails).
pub fn import_csv_command(
    project_path: &Path,
    csv: &Path,
    output: Option<&Path>,
    opts: &crate::project::csv::ImportOptions,
    out: &mut dyn Write,
) -> i32 {
    let mut project = match Project::load(project_path) {
        Ok(p) => p,
        Err(e) => {
            report(project_path, &e);
            return 1;
        }
    };
    let target = output.unwrap_or(project_path);
    if same_file(target, csv) {
        eprintln!("{}: the output is the CSV file being imported; choose another file with -o", target.display());
        return 1;
    }
    let dir = target.parent().map(|d| if d.as_os_str().is_empty() { Path::new(".") } else { d });
    let summary = match crate::project::csv::import_into(&mut project, csv, dir, opts) {
        Ok(s) => s,
        Err(e @ crate::train::data::csv::CsvError::Io { .. }) => {
            eprintln!("{e}");
            return 1;
        }
        Err(e) => {
            eprintln!("{}: {e}", csv.display());
            return 1;
        }
    };
    if let Err(e) = project.save(target) {
        eprintln!("{e}");
        return 1;
    }
    let _ = writeln!(
        out,
        "{}: dataset '{}' {} ({} rows; columns {})",
        target.display(),
        summary.name,
        if summary.replaced { "replaced" } else { "added" },
        summary.rows,
        crate::train::data::table::names_preview(&summary.columns)
    );
    0
}

/// Prints a refused file's error with its path once (an IO error already names it).
fn report(file: &Path, e: &ProjectError) {
    match e {
        ProjectError::Io { .. } => eprintln!("{e}"),
        _ => eprintln!("{}: {e}", file.display()),
    }
}

/// Standard output that ends the process quietly (exit 0) once its reader has gone (EPIPE), as
/// `flowbench run long.json | head -1` expects.
struct QuitOnClosedPipe<W: Write>(W);

impl<W: Write> Write for QuitOnClosedPipe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
            r => r,
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self.0.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
            r => r,
        }
    }
}
