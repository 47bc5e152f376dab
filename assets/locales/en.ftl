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
