# flowbench's window in English. Every message id here must exist in every other language's file
# (the i18n tests check it). TF's own words (error classes and messages, op types, tensor reprs,
# numpy output) are never translated: they stay as TF prints them.

## Menu bar
menu-file = File
menu-new = New
menu-open = Open…
menu-open-example = Open example
menu-save = Save
menu-save-as = Save As…
menu-export = Export
menu-export-tf-script = TensorFlow script…
menu-import-csv = Import CSV…
menu-recent = Recent
menu-no-recent = no recent files
menu-quit = Quit
menu-edit = Edit
menu-undo = Undo
menu-redo = Redo
menu-copy = Copy
menu-paste = Paste
menu-delete = Delete
menu-select-all = Select all
menu-graph = Graph
menu-new-graph = New graph
menu-rename = Rename…
menu-make-default-graph = Make default graph
menu-auto-layout = Auto-layout
menu-session = Session
menu-new-session = New session…
menu-initialize-variables = Initialize variables
menu-run = Run…
menu-close = Close
menu-close-all = Close all
menu-replay-script = Replay script
menu-view = View
menu-view-inspector = Inspector
menu-view-config = Config & devices
menu-view-sessions = Sessions
menu-view-run = Run
menu-view-log = Log
menu-view-notes = Notes
menu-light-theme = Light theme
menu-builtin-file-browser = Built-in file browser
menu-builtin-file-browser-hint = use flowbench's own file browser instead of the system's dialogs (used anyway when none can be shown)
menu-language = Language
menu-help = Help
menu-guide = Guide to TF1 concepts

## The guide (Help ▸ Guide to TF1 concepts, F1)
guide-title = The TF1 graph-and-session model
guide-close = Close
guide-graph-heading = Graphs
guide-graph =
    A TensorFlow 1.x program has two phases. First it builds a graph: every tf.constant,
    tf.placeholder, tf.Variable and operation adds a node to a tf.Graph, and nothing is computed
    yet. Operations go into the default graph unless another graph is made the default with
    g.as_default(). Here: add nodes from the palette or by typing their name, and wire outputs to
    inputs. A wire TF would refuse (a dtype or shape mismatch) is refused with TF's message.
guide-tensor-heading = Tensors
guide-tensor =
    A node's output is a symbolic tensor, not a number: it has a name (op:index, so add:0 is the
    first output of the node add), a dtype and a static shape, where ? is a dimension known only at
    run time. Types must match: adding a float32 and an int32 tensor is refused.
guide-session-heading = Sessions
guide-session =
    tf.Session(graph, config) runs a graph and owns everything a run holds: variable values and
    random generators. sess.run(fetches, feed_dict) executes only the nodes the fetches need; every
    placeholder among them must be fed. Variables must be initialized
    (tf.global_variables_initializer()) in each session: two sessions on one graph hold different
    values. sess.close() frees everything; a closed session can no longer run.
guide-device-heading = Devices and ConfigProto
guide-device =
    tf.device("/gpu:0") asks for a device. ConfigProto's allow_soft_placement lets an op that asks
    for a missing device fall back to the CPU; log_device_placement prints where each op runs.
    A changed config applies to the sessions opened after the change.
guide-training-heading = Training
guide-training =
    Training repeats one step: the forward pass computes a loss, the gradients of the loss with
    respect to each variable are computed backwards, and the optimizer (minimize) updates the
    variables. The train panel runs those steps in the background on batches of a dataset and
    plots the loss as it falls.
guide-shortcuts-heading = Shortcuts
guide-shortcuts =
    Ctrl+Z undo, Ctrl+Shift+Z redo, Del delete, Ctrl+A select all, Ctrl+C / Ctrl+V copy and
    paste, Ctrl+S save, Ctrl+Shift+S save as, Ctrl+O open, Ctrl+N new, Ctrl+Enter run, F1 this
    guide. On the canvas: drag to pan, scroll or pinch to zoom, shift-drag to box-select,
    right-click for menus, click an output label to fetch it, right-click a pin to drop its wires.

## One-line explanations shown next to TF's errors (in languages other than English)
explain-must-feed = The run needs this placeholder: give it a value in feed_dict.
explain-uninitialized = Run tf.global_variables_initializer() in this session before using the variable.
explain-closed-session = This session was closed: open a new session to run the graph.
explain-dtype-mismatch = The two inputs have different dtypes: cast one (tf.cast) or create it with the right dtype.
explain-shape-mismatch = The shapes of the inputs do not fit together for this op.
explain-no-device = The requested device does not exist here: set allow_soft_placement or choose /cpu:0.
explain-oom = The tensor is too large for the memory this session may use.

## Sessions panel
sessions-heading = Sessions
sessions-new = New session…
sessions-close-all = Close all
sessions-empty = No session yet. A graph only describes a computation: open a session to run it.
sessions-state-training = TRAINING
sessions-state-open = OPEN
sessions-state-closed = CLOSED
sessions-graph = graph { $name }
sessions-runs-go-here = runs go here
sessions-was-open = was open { $time }
sessions-open-for = open { $time }
sessions-counts-training = variables initialized · { $steps } training step(s) · { $age }
sessions-counts = { $bytes } · variables { $initialized }/{ $total } initialized · { $runs } run(s) · { $age }
sessions-owned-by-training = a training job owns this session (step { $step }): its variables can't be edited, run or fetched until it stops
sessions-latest-weights = latest weights (read-only)
sessions-initialize = Initialize
sessions-run = Run
sessions-run-hint = run the run panel's fetches in this session
sessions-use-for-runs = Use for runs
sessions-close = Close
sessions-close-hint = { $code }: frees everything the session holds
sessions-variable-values = variable values
sessions-uninitialized = uninitialized

## Config and devices panel
config-devices = Devices
config-no-gpu = No GPU here: an op asking for /gpu:0 fails to place unless allow_soft_placement is on.
config-config = Config
config-default-name = ConfigProto() (default)
config-new = New config
config-new-hint = a named ConfigProto saved in the project
config-default-desc = The default config: hard placement, no placement log.
config-soft-placement-hint = fall back to the CPU when a requested device does not exist
config-log-placement-hint = print where each op is placed (in the log)
config-memory-limit-hint = flowbench's memory budget for this session's tensors (not a TF setting); 0 = the default, { $mb } MB (half of physical memory). A tensor over it fails with { $error }
config-change-applies-later = A change applies to sessions opened after it; { $sessions } keep(s) the config it was opened with.
config-delete = Delete config
config-open-session = Open session on '{ $graph }'
config-open-session-hint = { $code } with the config above

## Run panel
run-heading = Run
run-not-fed = not fed: the run will fail as TF does
run-session = Session
run-session-closed = { $id } (closed)
run-no-session = none: open one first
run-button = ▶ Run
run-button-hint = { $code } — Ctrl+Enter
run-open-session-first = open a session first (Session > New session…)
run-choose-fetch = choose a fetch or a target
run-feed-first = feed every placeholder below first
run-fetches = Fetches:
run-fetches-empty = click an output pin on the canvas, or add one:
run-add-fetch = add fetch
run-pick-tensor = tensor…
run-targets = Targets:
run-add-target = add target
run-pick-op = op…
run-clear = Clear
run-nothing = Nothing to run yet: the nodes a run executes are outlined on the canvas.
run-executes = This run executes { $count } node(s), outlined on the canvas.
run-feeds = Feeds (feed_dict): placeholders this run needs
run-feed-shape = shape { $shape } { $dtype }
run-feed-example = e.g. { $value }
run-fed = ✔ fed
run-appended = Every run is appended to the project's script (flowbench run replays it).
run-result-in = Result in { $session }
run-stale-result = (from a node no longer in the graph)

## Log panel
log-heading = Log
log-clear = Clear log
log-replay = Replay script
log-replay-hint = run the project's script, as `flowbench run` does
log-script-steps = script: { $count } step(s)
log-show-node = show this node

## Inspector
inspector-heading = Inspector
inspector-many-selected = { $count } nodes selected (Delete removes them, Ctrl+C copies them)
inspector-select-node = Select a node on the canvas to inspect it.
inspector-graph = Graph
inspector-default-graph = Default graph
inspector-is-default = yes ({ $code })
inspector-make-default = Make default
inspector-nodes = Nodes
inspector-variables = Variables
inspector-graph-seed = Graph seed
inspector-graph-seed-hint = { $code }; empty for none
inspector-nodes-in-error = { $count } node(s) in error
inspector-name = Name
inspector-op = Op
inspector-input = Input '{ $name }'
inspector-not-connected = not connected
inspector-control-inputs = Control inputs
inspector-output = Output { $index }
inspector-dtype-shape = dtype { $dtype } · shape { $shape }
inspector-outputs = Outputs
inspector-no-outputs = none (an operation run for its effect)
inspector-not-built = not built
inspector-requested-device = Requested device
inspector-device-hint = e.g. /cpu:0 or /gpu:0; empty for none
inspector-placement = Placement
inspector-attributes = Attributes
inspector-rename = Rename…
inspector-delete-node = Delete node
inspector-fetch = Fetch { $tensor }
inspector-unfetch = Unfetch { $tensor }
inspector-placed-in = in { $session }: { $reason }
inspector-will-be-placed = not placed yet in { $session }; will be { $device }
inspector-no-run-session = no session on this graph is chosen for runs
inspector-shape-partial-hint = e.g. (?, 2): ? is a dimension known only at run time
inspector-shape-hint = e.g. (2, 3)
inspector-needs-full-shape = this op needs a fully known shape
inspector-not-a-shape = '{ $text }' is not a shape
inspector-not-a-value = not a value: { $error }
inspector-op-seed-hint = sets seed and seed2 as TF derives them from the graph seed and this op seed

## The central tabs
tab-graph-editor = Graph editor
tab-graph-editor-hint = the graph editor
tab-training = Training
tab-training-hint = train, and watch the loss, weights and decision boundary live ({ $keys })

## Training panel
train-shortcuts = F5 start / resume · Shift+F5 stop · F6 pause · F7 step 1 · F8 step N
train-heading = Train
train-schedule = Schedule
train-batch-size = Batch size
train-steps = Steps
train-eval-every = Eval every
train-eval-every-hint = evaluate the loss on all rows every this many steps (changes a running job too)
train-fast = As fast as possible
train-fast-hint = train at full speed; off: a pace you can watch (changes a running job too)
train-steps-per-sec = steps/s
train-n-steps = N steps
train-n-steps-hint = steps run by "Step N"
train-weights-every = Weights every
train-weights-every-hint = record the weights every this many steps; 0: as often as the display refreshes
train-session = Session
train-continue-in = continue in { $id }
train-new-session = new session
train-new-session-initialized = new session (initialized)
train-tip =
    { $tip }

    Shortcuts: { $keys }
train-start = ▶ Start
train-start-hint = train with this setup (F5)
train-resume = ▶ Resume
train-resume-hint = resume training (F5)
train-pause = ⏸ Pause
train-pause-hint = pause after the current step (F6)
train-step-1 = Step 1
train-step-1-hint = run one step, then pause (F7)
train-step-n = Step N
train-step-n-hint = run { $count } steps, then pause (F8)
train-stop = ⏹ Stop
train-stop-hint = stop: the session stays open with the trained values (Shift+F5)
train-not-started = not started
train-rate = {" "}· { $rate } steps/s{ $eta }
train-eta = {" "}· ETA { $time }
train-status-running = running
train-status-paused = paused
train-status-finished = finished
train-status-stopped = stopped
train-status-failed = failed
train-in-session = in { $id }
train-no-graph = no graph
train-what = What to train
train-graph = Graph
train-train-op = Train op
train-none = none
train-train-op-hint = the op run each step (an optimizer's minimize)
train-loss = Loss
train-loss-hint = the loss tensor: batch loss each step, loss on all data at each eval
train-create-from-loss = Create a train op from the loss
train-optimizer = Optimizer
train-learning-rate = Learning rate
train-momentum = Momentum
train-decay = Decay
train-create-train-op = Create train op
train-create-train-op-hint = { $code }: adds gradients/, the slots and the train op to the graph
train-boundary = Boundary output
train-boundary-hint = the tensor drawn over the 2-D input plane (e.g. Sigmoid:0); empty for none
train-plotted-variables = Plotted variables ({ $count })
train-data = Data
train-dataset = Dataset
train-dataset-in-project = { $name } (project)
train-dataset-new = new: { $kind }
train-seed = Seed
train-rows = Rows
train-noise = Noise
train-idx-columns = images, labels (batches: { $code } after { $seed })
train-columns = columns: { $columns }
train-sample-images = Sample images
train-sample-counts = train { $train } · validation { $validation } · test { $test } examples of { $height }x{ $width }
train-feed-columns-hint = the columns that feed this placeholder, comma-separated

## Training plots
plots-export-csv-hint = export this plot's data as CSV
plots-export-png-hint = export this plot as a PNG screenshot
plots-empty = Press Start (F5) to train: the loss, the weights and the decision boundary appear here, live.
plots-learning-rate = Learning rate
plots-learning-rate-line = learning rate
plots-loss = Loss
plots-smoothing = smoothing
plots-log-scale = log scale
plots-x-step = x: step
plots-x-wall-time = x: wall time
plots-x-step-short = step
plots-x-time-short = s
plots-hover-loss = loss
plots-hover-value = value
plots-batch-loss-raw = batch loss (raw)
plots-batch-loss-smoothed = batch loss (smoothed)
plots-batch-loss = batch loss
plots-eval-loss = eval loss (all data)
plots-training-set-loss = training-set loss
plots-at-step-value = { $value } at step { $step }
plots-last-losses = batch loss { $batch } · eval loss { $eval }
plots-boundary = Decision boundary
plots-step = step { $step }
plots-boundary-needs = Needs an input placeholder of 2 features and a boundary output.
plots-label = label { $label }
plots-boundary-colors = orange 0 · white 0.5 · blue 1
plots-weights = Weights
plots-variables = { $count } variable(s)
plots-at-step = at step { $step }
plots-weights-legend = one line per element (hover a line for its name); heatmaps: orange negative, blue positive

## Graph editor
editor-default-graph-tab = ★ { $name } (default graph)
editor-graph-tab-hint = A { $code }; ★ marks the default graph
editor-add-graph = + graph
editor-add-graph-hint = New graph ({ $code })
editor-add-node = Add node:
editor-add-node-hint = type an op name, Enter adds it
editor-no-such-op = no such op
editor-palette = Palette
editor-auto-layout = Auto-layout
editor-collapse-scopes = Collapse scopes
editor-collapse-scopes-hint = draw gradients/ and each optimizer with its slots as one group node (right-click a group to expand it)
editor-fit = Fit
editor-fit-hint = show the whole graph
editor-mouse-help = drag: pan · wheel/ctrl: zoom · shift-drag: box select · right-click: menu
editor-overview-help = overview: click selects · right-click: fetch · double-click or ctrl+wheel: zoom into a node · ⊞ expands a group
editor-overview-details = Show in detail
editor-group-nodes = { $count } nodes ▸
editor-placed-hint = placed on this device in the run session
editor-in-run-hint = the next run executes this node
editor-op-pin-hint = the operation itself: wire it to a ^ control input; click to run it as a target
editor-scope-hint = the { $name } scope, collapsed: click to expand it
editor-fetch-pin-hint = click to fetch this tensor in the next run
editor-expand = Expand { $name }
editor-rename = Rename…
editor-run-as-target = Run as target
editor-remove-control-inputs = Remove control inputs
editor-copy = Copy
editor-delete = Delete
editor-add-node-here = Add node here:
editor-search = search
editor-refuse-op-to-input = '{ $name }' is an operation, not a tensor: wire it to the ^ control input
editor-refuse-tensor-to-control = a control input takes an operation: wire the 'op' pin of '{ $name }'

## Dialogs
modal-ok = OK
modal-unsaved = Unsaved changes
modal-save-first = Save the changes to { $name } first?
modal-save = Save
modal-dont-save = Don't save
modal-cancel = Cancel
modal-new-session = New session
modal-graph = graph
modal-config = config
modal-open-session = Open session
modal-rename-node = Rename { $name }
modal-new-name = new name
modal-rename = Rename
modal-rename-graph = Rename graph

## Notes
notes-heading = Notes
notes-empty = This project has no description yet.

## Built-in file browser
browser-up = ⬆ Up
browser-up-hint = the parent folder (Backspace)
browser-folder = Folder:
browser-empty = (empty folder)
browser-file-name = File name:
browser-name-hint-save = name of the file to write
browser-name-hint-open = pick a file above
browser-show = Show:
browser-hidden = hidden files
browser-save = Save
browser-open = Open
browser-keys = ⬆⬇ choose · Enter open · Backspace up · Esc cancel

## CSV import
csv-title = Import CSV
csv-file = File: { $path }
csv-dataset-name = Dataset name:
csv-header = First row is a header
csv-error = Error: { $error }
csv-embed = Embed rows in the project
csv-reference = Reference the file (relative path)
csv-reference-hint = the project keeps a path relative to its file; the rows are read when it runs
csv-import = Import
csv-columns = Columns (exactly one label, at least one feature):
csv-rename = rename:
csv-shape = { $rows } rows, { $columns } columns
csv-shape-header = { $rows } rows, { $columns } columns, header row
csv-more-rows = … { $count } more rows

## Image grid
images-none = no images to show
images-example = example { $index }: label { $label }
images-example-predicted = example { $index }: label { $label }, predicted { $predicted }

## CSV import roles and the file browser's titles
csv-role-feature = feature
csv-role-label = label
csv-role-ignore = ignore
csv-not-saved = save the project first to refer to the file by a path relative to it
browser-title-open = Open project
browser-title-save-as = Save project as
browser-title-export-csv = Export plot data
browser-title-export-png = Export plot
browser-title-export-tf = Export a TensorFlow script
browser-title-import-csv = Import CSV data

## Log lines (the window's own; TF's errors and the Python lines stay as they are)
log-nothing-to-export = nothing to export yet: train first
log-exported = exported { $path }
log-exported-script = exported a TensorFlow script to { $path }
log-save-cancelled = save cancelled: nothing was closed or replaced
log-opened = opened '{ $name }' ({ $file })
log-csv-paths-rebased = { $count } referenced CSV path(s) rewritten relative to { $dir }
log-saved = saved { $path }
log-saved-invalid = the saved file will not load until this is fixed: { $error }
log-initialized = { $count } variable(s) initialized in { $session }
log-replaying = replaying the script of '{ $name }' ({ $count } steps)
log-previous-session-closed = { $old }, the previous run's session, was closed: this run trains in { $new } (Session: "continue in …" keeps training one session)
log-more-evals = … { $count } more evaluation line(s): the Training view's table has them all
log-training-failed = training in { $session } failed at step { $step }
log-training-stopped = training in { $session } stopped after { $steps } step(s)
log-training-finished = training in { $session } finished: { $steps } step(s)
log-nodes-added = { $count } node(s) added
log-dataset-imported = dataset '{ $name }' imported from { $path } ({ $rows } rows; features { $features }; label { $label })
log-dataset-imported-referenced = dataset '{ $name }' imported from { $path } ({ $rows } rows; features { $features }; label { $label }; referenced)
log-dataset-replaced = dataset '{ $name }' replaced from { $path } ({ $rows } rows; features { $features }; label { $label })
log-dataset-replaced-referenced = dataset '{ $name }' replaced from { $path } ({ $rows } rows; features { $features }; label { $label }; referenced)

## Small labels added later (inspector, run panel)
inspector-no-attrs = none
run-remove = remove

## ConfigProto summaries and the CPU's line
config-cpu-description = host CPU, { $cores } core(s); every kernel runs here
summary-soft-placement = soft placement
summary-log-placement = log placement
summary-intra = intra { $value }
summary-inter = inter { $value }
summary-timeout = timeout { $value } ms
summary-memory = memory { $value } MB
summary-allow-growth = gpu allow_growth
summary-gpu-fraction = gpu fraction { $value }
summary-default = default config
summary-separator = {", "}

## Example titles (Open example); each is the example project's own name
example-3_1_default_graph = 3.1 The default graph
example-3_1_two_graphs = 3.1 Two graphs, each with a variable v
example-3_1_device = 3.1 Device scope
example-3_2_tensors = 3.2 Tensors: names, shapes and dtypes
example-3_3_sessions = 3.3 Sessions and ConfigProto
example-3_4_3_forward = 3.4.3 Forward propagation
example-3_4_4_placeholder = 3.4.4 Placeholders and feed_dict
example-3_4_5_training = 3.4.5 A complete training program
example-csv_points = CSV data: the 3.4.5 network trained on your own points
example-4_2_2_custom_loss = 4.2.2 A custom loss
example-4_4_1_learning_rate_decay = 4.4.1 A decaying learning rate
example-4_4_3_moving_average = 4.4.3 ExponentialMovingAverage
example-5_2_1_mnist = 5.2.1 The complete MNIST program
example-5_4_saver = 5.4 Saving and restoring variables
example-debug_log_of_zero = Debugging: log(0) without clip_by_value

## File errors (the titles; the reasons stay as the system or the project loader words them)
error-could-not-write = Could not write { $path }
error-could-not-export-script = Could not export a TensorFlow script
error-could-not-open = Could not open { $name }
error-could-not-save = Could not save { $path }

## Training errors (the window's own words; TF's errors inside them stay as TF prints them)
error-training-running = A training job is already running: stop it first.
error-training-not-started = Training not started: { $reason }
error-nodes-in-error = the graph has nodes in error
error-could-not-open-session = could not open a session
error-session-not-returned = the training thread did not give its session back
error-no-train-op = no train op '{ $name }' in the graph
error-no-column = dataset '{ $dataset }' has no column '{ $column }' (it has { $columns })

## TF's own files: checkpoints, graphs, TensorBoard logs (#17)
menu-import-tf-graph = Import TensorFlow graph…
menu-open-checkpoint = Open checkpoint…
menu-save-checkpoint = Save checkpoint…
menu-restore-checkpoint = Restore checkpoint…
browser-title-save-checkpoint = Save checkpoint (a prefix, such as model.ckpt)
browser-title-restore-checkpoint = Restore checkpoint
browser-title-open-checkpoint = Open checkpoint
browser-title-import-tf-graph = Import a TensorFlow graph (.pb, .pbtxt, .meta)
log-graph-node-unsupported = node '{ $node }' kept in error: { $why }
log-checkpoint-saved = { $count } variable(s) saved to { $path }
log-checkpoint-restored = { $count } variable(s) restored from { $path }
log-tensorboard = TensorBoard log: { $path }
ckpt-title = Checkpoint
ckpt-prefix = Checkpoint: { $path }
ckpt-open-other = Open another…
ckpt-restore-into = Restore into { $session }
ckpt-restore-no-session = Restore (open a session first)
ckpt-summary = { $count } tensor(s), { $params } value(s) in all
ckpt-col-name = Tensor
ckpt-col-dtype = dtype
ckpt-col-shape = shape
ckpt-no-selection = Click a tensor to see its value.
train-tensorboard = TensorBoard log
train-tensorboard-hint = Write TensorBoard event files while training: the graph, the loss, the evaluated metrics, a decaying learning rate and histograms of the watched weights (tensorboard --logdir FOLDER shows them)
train-logdir = folder
error-logdir-empty = the TensorBoard log needs a folder
error-logdir-relative = a relative TensorBoard folder needs the project saved in a folder; save it or use an absolute path
## The debugger (tfdbg on the canvas)
run-debug-button = 🐞 Debug
run-debug-button-hint = Run under the debugger: paused before the first op, then step op by op and watch each value appear on the canvas
error-debug-running = A debug run is already paused: continue or stop it first.
error-debug-paused = The run is paused in the debugger: Continue or Stop it before closing.
error-debug-train-without = This training job runs without the debugger: stop it, then Debug step starts it again with the debugger.
log-debug-run = under the debugger (tfdbg)
log-debug-filter-stop = Training paused at step { $step }: { $filter } matched { $tensor }.
debug-title = Debugger
debug-non-finite = { $count } inf/nan
debug-training-step = Training step { $step }
debug-paused-start = Paused before the first op ({ $total } ops in the plan)
debug-paused-after = Paused after { $op } — op { $done } of { $total }
debug-paused-breakpoint = Breakpoint: paused after { $op } — op { $done } of { $total }
debug-paused-filter = First { $filter } value at { $tensor } ({ $type })
debug-stopped = Stopped by the debugger after { $done } of { $total } ops
debug-done = Run done: { $done } of { $total } ops ran
debug-waiting = Waiting for the next training step
debug-running = Running… { $done } of { $total } ops
debug-step = Step
debug-step-hint = Run the next op and pause (F10)
debug-step-over = Step over scope
debug-step-over-hint = Run every op of the next op's name scope (e.g. all of gradients/) and pause after the last one
debug-continue = Continue
debug-continue-hint = Run to the end of the run, or to the next breakpoint (F9)
debug-run-to = Run to selected
debug-run-to-hint = Run until the node selected on the canvas has run
debug-stop = Stop run
debug-stop-hint = End the run here (CancelledError); values computed so far stay
debug-close = Close
debug-continue-until = Continue until
debug-continue-until-hint = Run until an op's output matches the filter
debug-filter = filter
debug-updates = Variable updates in this step
debug-plan = Plan in execution order ({ $count } ops)
debug-input = input
debug-breakpoint-hint = Breakpoint: the run pauses after this op (click to set or clear)
debug-element = Element shown in the formula
debug-before = before
debug-gradient = gradient
debug-after = after
debug-more-elements = … and { $count } more elements
debug-inspector-heading = Debugger
debug-set-breakpoint = ● Set breakpoint
debug-clear-breakpoint = ○ Clear breakpoint
debug-too-large = (too large to keep: summary only)
debug-not-run-yet = Not run yet in the debugged run.
debug-not-in-run = Not part of the debugged run.
debug-run-to-here = Run to here
train-stop-at-nan = Stop at the first NaN/Inf
train-stop-at-nan-hint = Run the job under the debugger: training pauses at the step and op where an inf or NaN first appears (slower: off the fast path)
train-debug-step = 🐞 Debug step
train-debug-step-hint = Run the next training step under the debugger, paused before its first op: the forward pass, the gradients and the optimizer's update, op by op
debug-after-step = After training step { $step } (a run between steps: the loss on all data or a snapshot)
log-debug-filter-stop-between = Training paused after step { $step }, in a run between steps: { $filter } matched { $tensor }.
debug-not-run-yet-short = (not yet)
sessions-state-debugging = DEBUGGING
sessions-owned-by-debugger = a debug run holds this session until it ends (see the Debugger window)
debug-group-ran = { $done } of { $total } ops in the run ran
debug-this-op = The op just run: { $op }
debug-failed = The run failed: { $error }
## ux: the layered canvas, and what was left in English
ux-collapse-groups = Collapse groups
ux-collapse-groups-hint = Fold the expanded gradients/ and optimizer groups back into one node each
ux-expand-group-hint = Expand this group (or double-click it)
ux-placement-default = no device requested; placed on the default device
ux-placement-as-requested = as requested ({ $device })
ux-placement-soft = soft placement: { $device } is not available here, so the op fell back to CPU:0
ux-feed-not-an-array = not an array: { $error }
ux-session-busy = FailedPreconditionError: Session '{ $session }' is training: its variables can't be { $what } until training stops.
ux-busy-initialized = initialized
ux-busy-run = run or fetched
ux-busy-closed = closed
ux-feed-for = ValueError: feed for { $tensor }: { $error }
ux-graph-name-taken = ValueError: a graph named '{ $name }' already exists or the name is empty
ux-export-unsupported = export: unsupported: { $what }
ux-boundary-output = boundary output: { $error }
ux-loss-problem = loss: { $error }
ux-pin-op = op
ux-pin-op-target = op ◉ target
ux-kind-numpy-rand = numpy rand
ux-kind-numpy-rand--x1-x2-1- = numpy rand (x1+x2<1)
ux-kind-circle = circle
ux-kind-xor = xor
ux-kind-gauss = gauss
ux-kind-spiral = spiral
ux-kind-inline = inline
ux-kind-idx-images = idx images

## confusion
confusion-title = Confusion matrix ({ $split }, step { $step }, { $total } examples)
confusion-hint = Rows: true label. Columns: predicted class (argmax of the output). Each cell counts the examples.
confusion-accuracy = Accuracy
confusion-accuracy-hint = The argmax of { $tensor }, the output the loss is computed from (a log line may print another model's accuracy, e.g. a moving-average model's).
confusion-validation = validation accuracy
confusion-test = test accuracy
confusion-validation-loss = validation loss
confusion-test-loss = test loss
confusion-last-accuracy = Last accuracy: validation { $validation }, test { $test }
confusion-samples = Test examples (true label, or true -> predicted)

## The Python program view
program-starting = Starting…
program-paused = Paused before line { $line }
program-running = Running (line { $line })
program-finished = Ran to its end: the project it built is open (unsaved)
program-failed = Failed at line { $line }
program-stopped = Stopped before line { $line }
program-run = ▶ Run
program-run-hint = run the program from its start to its end
program-step = Step (F10)
program-step-hint = run one statement (a call runs whole) and pause; starts the program when it is not running
program-continue = Continue (F9)
program-continue-hint = run on from here to the end
program-pause = ⏸ Pause
program-stop = ⏹ Stop
program-stop-hint = end the program before its next statement (a while True loop too)
program-close-hint = close the program view (a running program is stopped; what it built stays)
sessions-of-program = Sessions of { $file }
log-program-opened = opened { $file }: paused before its first statement (F10 runs one statement, F9 continues, Run runs it all)
log-program-restarted = { $file }: started again from its first statement
log-program-stopped = { $file }: stopped before line { $line }; what it built so far stays open
log-program-finished = { $file } ran to its end: the project it built is open (unsaved; File > Save As… keeps it)
program-breakpoint-hint = click: set or clear a breakpoint (Run and Continue pause before this line)
