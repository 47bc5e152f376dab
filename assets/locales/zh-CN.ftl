# flowbench 的简体中文界面。每条消息的 id 必须与 en.ftl 一一对应（i18n 测试会检查）。
# TF 自己的输出（错误类型与信息、op 类型、张量的 repr、numpy 的打印）一律保持原样，不翻译。

## 菜单栏
menu-file = 文件
menu-new = 新建
menu-open = 打开…
menu-open-example = 打开示例
menu-save = 保存
menu-save-as = 另存为…
menu-export = 导出
menu-export-tf-script = TensorFlow 脚本…
menu-import-csv = 导入 CSV…
menu-recent = 最近打开
menu-no-recent = 没有最近打开的文件
menu-quit = 退出
menu-edit = 编辑
menu-undo = 撤销
menu-redo = 重做
menu-copy = 复制
menu-paste = 粘贴
menu-delete = 删除
menu-select-all = 全选
menu-graph = 计算图
menu-new-graph = 新建计算图
menu-rename = 重命名…
menu-make-default-graph = 设为默认计算图
menu-auto-layout = 自动布局
menu-session = 会话
menu-new-session = 新建会话…
menu-initialize-variables = 初始化变量
menu-run = 运行…
menu-close = 关闭
menu-close-all = 全部关闭
menu-replay-script = 重放脚本
menu-view = 视图
menu-view-inspector = 检查器
menu-view-config = 配置与设备
menu-view-sessions = 会话
menu-view-run = 运行
menu-view-log = 日志
menu-view-notes = 说明
menu-light-theme = 浅色主题
menu-builtin-file-browser = 内置文件浏览器
menu-builtin-file-browser-hint = 使用 flowbench 自带的文件浏览器，而不是系统的对话框（无法显示系统对话框时总会使用它）
menu-language = 语言
menu-help = 帮助
menu-guide = TF1 概念指南

## 指南（帮助 ▸ TF1 概念指南，F1）
guide-title = TF1 的计算图与会话模型
guide-close = 关闭
guide-graph-heading = 计算图
guide-graph =
    TensorFlow 1.x 程序分两个阶段。第一阶段定义计算图：每个 tf.constant、tf.placeholder、
    tf.Variable 和运算都会在一个 tf.Graph 中加入一个节点，此时还没有进行任何计算。如果没有特殊指定，
    运算会加到默认的计算图中；通过 tf.Graph() 可以生成新的计算图，用 g.as_default() 把它设为默认。
    在这里：从节点面板中添加节点（或输入节点的名字），再把输出连到输入。TF 会拒绝的连线（类型或维度
    不匹配）会被拒绝，并显示 TF 的报错信息。
guide-tensor-heading = 张量
guide-tensor =
    张量是 TensorFlow 的数据模型：第 n 阶张量可以理解为 n 维数组。与 numpy 不同，计算的结果不是一个
    具体的数，而是一个张量的结构，主要保存三个属性：名字（name）、维度（shape）和类型（type）。
    add:0 表示这个张量是节点 add 输出的第 1 个结果（编号从 0 开始）；维度中的 ? 表示运行时才知道的
    大小。注意：类型要匹配，float32 和 int32 的张量相加会报错。
guide-session-heading = 会话
guide-session =
    使用会话（Session）来执行定义好的运算。会话拥有并管理 TensorFlow 程序运行时的所有资源：变量的取值
    和随机数生成器。sess.run(fetches, feed_dict) 只执行所需的节点，其中的每个占位符都必须通过
    feed_dict 提供取值。每个会话都要先初始化变量（tf.global_variables_initializer()）：同一个计算图上
    的两个会话保存各自的取值。所有计算完成之后需要关闭会话（sess.close()）来回收资源，关闭后的会话
    不能再运行。
guide-device-heading = 设备与 ConfigProto
guide-device =
    tf.device("/gpu:0") 为运算指定设备。通过 ConfigProto 可以配置会话：allow_soft_placement=True 时
    （默认为 False），无法在 GPU 上执行的运算可以放到 CPU 上运行；log_device_placement=True 时，日志中
    会记录每个节点被安排在哪个设备上，以方便调试。修改后的配置只对之后打开的会话生效。
guide-training-heading = 训练
guide-training =
    训练神经网络就是通过训练数据来调整网络中参数的取值：前向传播算法得到损失函数的值，反向传播算法
    计算损失对每个变量的梯度，优化器（minimize）据此更新变量，如此重复多轮。训练面板在后台按批次
    （batch）运行这些训练步骤，并实时画出损失的下降。
guide-shortcuts-heading = 快捷键
guide-shortcuts =
    Ctrl+Z 撤销，Ctrl+Shift+Z 重做，Del 删除，Ctrl+A 全选，Ctrl+C / Ctrl+V 复制和粘贴，Ctrl+S 保存，
    Ctrl+Shift+S 另存为，Ctrl+O 打开，Ctrl+N 新建，Ctrl+Enter 运行，F1 打开本指南。在画布上：拖动以
    平移，滚轮或双指缩放，按住 Shift 拖动框选，右键打开菜单，点击输出标签取回（fetch）该张量，右键
    点击引脚删除它的连线。

## 显示在 TF 报错旁边的一行中文解释
explain-must-feed = 需要通过 feed_dict 为占位符提供值。
explain-uninitialized = 在这个会话中先运行 tf.global_variables_initializer() 初始化变量，再使用它。
explain-closed-session = 这个会话已经关闭：请新建一个会话来运行计算图。
explain-dtype-mismatch = 两个输入的类型不一致：用 tf.cast 转换其中一个，或在创建时指定正确的 dtype。
explain-shape-mismatch = 输入的维度对这个运算不匹配。
explain-no-device = 这里没有所请求的设备：设置 allow_soft_placement，或改用 /cpu:0。
explain-oom = 这个张量太大，超出了会话可用的内存。

## 会话面板
sessions-heading = 会话列表
sessions-new = 新建会话…
sessions-close-all = 全部关闭
sessions-empty = 还没有会话。计算图只描述计算：要运行它，先打开一个会话。
sessions-state-training = 训练中
sessions-state-open = 已打开
sessions-state-closed = 已关闭
sessions-graph = 计算图 { $name }
sessions-runs-go-here = 运行在此会话中
sessions-was-open = 曾打开 { $time }
sessions-open-for = 已打开 { $time }
sessions-counts-training = 变量已初始化 · 已训练 { $steps } 步 · { $age }
sessions-counts = { $bytes } · 变量已初始化 { $initialized }/{ $total } · 运行 { $runs } 次 · { $age }
sessions-owned-by-training = 一个训练任务正占用此会话（第 { $step } 步）：训练停止前，它的变量不能编辑、运行或取值
sessions-latest-weights = 最新权重（只读）
sessions-initialize = 初始化
sessions-run = 运行
sessions-run-hint = 在此会话中运行“运行”面板中的取值
sessions-use-for-runs = 用于运行
sessions-close = 关闭
sessions-close-hint = { $code }：释放会话占用的一切
sessions-variable-values = 变量的值
sessions-uninitialized = 未初始化

## 配置与设备面板
config-devices = 设备
config-no-gpu = 这里没有 GPU：要求 /gpu:0 的 op 无法放置，除非打开 allow_soft_placement。
config-config = 配置
config-default-name = ConfigProto()（默认）
config-new = 新建配置
config-new-hint = 一个有名字的 ConfigProto，保存在项目中
config-default-desc = 默认配置：严格放置，不记录放置日志。
config-soft-placement-hint = 请求的设备不存在时，退回到 CPU
config-log-placement-hint = 打印每个 op 被放置到的设备（在日志中）
config-memory-limit-hint = flowbench 为此会话的张量设定的内存预算（不是 TF 的设置）；0 = 默认值 { $mb } MB（物理内存的一半）。超过它的张量会报错：{ $error }
config-change-applies-later = 修改只对之后打开的会话生效；{ $sessions } 仍使用打开时的配置。
config-delete = 删除配置
config-open-session = 在“{ $graph }”上打开会话
config-open-session-hint = 用上面的配置执行 { $code }

## 运行面板
run-heading = 运行
run-not-fed = 未提供值：运行会像 TF 一样失败
run-session = 运行用的会话
run-session-closed = { $id }（已关闭）
run-no-session = 无：请先打开一个会话
run-button = ▶ 运行
run-button-hint = { $code } — Ctrl+Enter
run-open-session-first = 请先打开一个会话（会话 > 新建会话…）
run-choose-fetch = 请选择要取值的张量或目标
run-feed-first = 请先为下面每个占位符提供值
run-fetches = 取值（fetches）：
run-fetches-empty = 点击画布上的输出端口，或在此添加：
run-add-fetch = 添加取值
run-pick-tensor = 张量…
run-targets = 目标（targets）：
run-add-target = 添加目标
run-pick-op = 运算…
run-clear = 清除
run-nothing = 还没有要运行的内容：一次运行所执行的节点会在画布上标出。
run-executes = 这次运行执行 { $count } 个节点，已在画布上标出。
run-feeds = 输入（feed_dict）：这次运行需要的占位符
run-feed-shape = 形状 { $shape } { $dtype }
run-feed-example = 例如 { $value }
run-fed = ✔ 已提供值
run-appended = 每次运行都会追加到项目的脚本中（flowbench run 会重放它）。
run-result-in = { $session } 中的结果
run-stale-result = （来自已不在计算图中的节点）

## 日志面板
log-heading = 日志
log-clear = 清空日志
log-replay = 重放脚本
log-replay-hint = 像 `flowbench run` 一样运行项目的脚本
log-script-steps = 脚本：{ $count } 步
log-show-node = 显示这个节点

## 检查器
inspector-heading = 检查器
inspector-many-selected = 已选中 { $count } 个节点（Delete 删除，Ctrl+C 复制）
inspector-select-node = 在画布上选中一个节点来查看它。
inspector-graph = 计算图名称
inspector-default-graph = 默认计算图
inspector-is-default = 是（{ $code }）
inspector-make-default = 设为默认
inspector-nodes = 节点
inspector-variables = 变量
inspector-graph-seed = 计算图随机种子
inspector-graph-seed-hint = { $code }；留空表示不设
inspector-nodes-in-error = { $count } 个节点出错
inspector-name = 名称
inspector-op = 运算（op）
inspector-input = 输入 '{ $name }'
inspector-not-connected = 未连接
inspector-control-inputs = 控制依赖
inspector-output = 输出 { $index }
inspector-dtype-shape = 类型 { $dtype } · 形状 { $shape }
inspector-outputs = 输出
inspector-no-outputs = 无（为其作用而运行的运算）
inspector-not-built = 未构建
inspector-requested-device = 指定设备
inspector-device-hint = 例如 /cpu:0 或 /gpu:0；留空表示不指定
inspector-placement = 放置
inspector-attributes = 属性
inspector-rename = 重命名…
inspector-delete-node = 删除节点
inspector-fetch = 取值 { $tensor }
inspector-unfetch = 取消取值 { $tensor }
inspector-placed-in = 在 { $session } 中：{ $reason }
inspector-will-be-placed = 尚未在 { $session } 中放置；将放在 { $device }
inspector-no-run-session = 这个计算图上没有被选来运行的会话
inspector-shape-partial-hint = 例如 (?, 2)：? 是只有运行时才知道的维度
inspector-shape-hint = 例如 (2, 3)
inspector-needs-full-shape = 这个 op 需要完全确定的形状
inspector-not-a-shape = '{ $text }' 不是形状
inspector-not-a-value = 不是一个值：{ $error }
inspector-op-seed-hint = 按 TF 的方式从计算图种子和此 op 种子推出 seed 与 seed2

## 中间的标签页
tab-graph-editor = 计算图编辑器
tab-graph-editor-hint = 计算图编辑器
tab-training = 训练
tab-training-hint = 训练，并实时观察损失、权重和决策边界（{ $keys }）

## 训练面板
train-shortcuts = F5 开始 / 继续 · Shift+F5 停止 · F6 暂停 · F7 单步 · F8 走 N 步
train-heading = 训练
train-schedule = 训练安排
train-batch-size = 批次大小
train-steps = 步数
train-eval-every = 每隔多少步评估
train-eval-every-hint = 每隔这么多步，在全部数据上计算一次损失（对正在运行的任务也生效）
train-fast = 全速
train-fast-hint = 全速训练；关闭时以便于观察的速度训练（对正在运行的任务也生效）
train-steps-per-sec = 步/秒
train-n-steps = N 步
train-n-steps-hint = “走 N 步”运行的步数
train-weights-every = 每隔多少步记录权重
train-weights-every-hint = 每隔这么多步记录一次权重；0：每次刷新显示时都记录
train-session = 会话
train-continue-in = 在 { $id } 中继续
train-new-session = 新会话
train-new-session-initialized = 新会话（已初始化）
train-tip =
    { $tip }

    快捷键：{ $keys }
train-start = ▶ 开始
train-start-hint = 用这些设置开始训练（F5）
train-resume = ▶ 继续
train-resume-hint = 继续训练（F5）
train-pause = ⏸ 暂停
train-pause-hint = 当前这一步结束后暂停（F6）
train-step-1 = 单步
train-step-1-hint = 运行一步后暂停（F7）
train-step-n = 走 N 步
train-step-n-hint = 运行 { $count } 步后暂停（F8）
train-stop = ⏹ 停止
train-stop-hint = 停止：会话保持打开，保留训练后的值（Shift+F5）
train-not-started = 未开始
train-rate = {" "}· { $rate } 步/秒{ $eta }
train-eta = {" "}· 预计剩余 { $time }
train-status-running = 训练中
train-status-paused = 已暂停
train-status-finished = 已完成
train-status-stopped = 已停止
train-status-failed = 失败
train-in-session = 在 { $id } 中
train-no-graph = 没有计算图
train-what = 训练什么
train-graph = 计算图
train-train-op = 训练 op
train-none = 无
train-train-op-hint = 每一步运行的 op（优化器的 minimize）
train-loss = 损失
train-loss-hint = 损失张量：每一步给出批次的损失，每次评估给出全部数据上的损失
train-create-from-loss = 从损失创建训练 op
train-optimizer = 优化器
train-learning-rate = 学习率
train-momentum = 动量
train-decay = 衰减
train-create-train-op = 创建训练 op
train-create-train-op-hint = { $code }：向计算图加入 gradients/、优化器的槽变量和训练 op
train-boundary = 边界输出
train-boundary-hint = 画在二维输入平面上的张量（例如 Sigmoid:0）；留空表示不画
train-plotted-variables = 绘制的变量（{ $count }）
train-data = 数据
train-dataset = 数据集
train-dataset-in-project = { $name }（项目）
train-dataset-new = 新建：{ $kind }
train-seed = 随机种子
train-rows = 行数
train-noise = 噪声
train-idx-columns = images, labels（批次：在 { $seed } 之后用 { $code } 取）
train-columns = 列：{ $columns }
train-sample-images = 样本图像
train-sample-counts = 训练集 { $train } · 验证集 { $validation } · 测试集 { $test } 个 { $height }x{ $width } 的样本
train-feed-columns-hint = 为这个占位符提供值的列，用逗号分隔

## 训练曲线
plots-export-csv-hint = 把这张图的数据导出为 CSV
plots-export-png-hint = 把这张图导出为 PNG 截图
plots-empty = 按“开始”（F5）训练：损失、权重和决策边界会实时显示在这里。
plots-learning-rate = 学习率
plots-learning-rate-line = 学习率
plots-loss = 损失
plots-smoothing = 平滑
plots-log-scale = 对数坐标
plots-x-step = x：步数
plots-x-wall-time = x：时间
plots-x-step-short = 步
plots-x-time-short = 秒
plots-hover-loss = 损失
plots-hover-value = 值
plots-batch-loss-raw = 批次损失（原始）
plots-batch-loss-smoothed = 批次损失（平滑）
plots-batch-loss = 批次损失
plots-eval-loss = 评估损失（全部数据）
plots-training-set-loss = 训练集上的损失
plots-at-step-value = { $value }（第 { $step } 步）
plots-last-losses = 批次损失 { $batch } · 评估损失 { $eval }
plots-boundary = 决策边界
plots-step = 第 { $step } 步
plots-boundary-needs = 需要一个有 2 个特征的输入占位符和一个边界输出。
plots-label = 标签 { $label }
plots-boundary-colors = 橙 0 · 白 0.5 · 蓝 1
plots-weights = 权重
plots-variables = { $count } 个变量
plots-at-step = 第 { $step } 步时
plots-weights-legend = 每个元素一条线（悬停可见名称）；热力图：橙色为负，蓝色为正

## 计算图编辑器
editor-default-graph-tab = ★ { $name }（默认计算图）
editor-graph-tab-hint = 一个 { $code }；★ 标出默认计算图
editor-add-graph = + 计算图
editor-add-graph-hint = 新建计算图（{ $code }）
editor-add-node = 添加节点：
editor-add-node-hint = 输入 op 名称，回车添加
editor-no-such-op = 没有这个 op
editor-palette = 节点面板
editor-auto-layout = 自动布局
editor-collapse-scopes = 折叠作用域
editor-collapse-scopes-hint = 把 gradients/ 以及每个优化器连同它的槽变量画成一个分组节点（右键点击分组可展开）
editor-fit = 适应窗口
editor-fit-hint = 显示整个计算图
editor-mouse-help = 拖动：平移 · 滚轮/ctrl：缩放 · shift 拖动：框选 · 右键：菜单
editor-overview-help = 概览：单击选中 · 右键：取值 · 双击或 ctrl+滚轮：放大到节点 · ⊞ 展开分组
editor-overview-details = 显示详细视图
editor-group-nodes = { $count } 个节点 ▸
editor-placed-hint = 在运行所用的会话中被放置到这个设备上
editor-in-run-hint = 下一次运行会执行这个节点
editor-op-pin-hint = 运算本身：把它连到 ^ 控制依赖输入；点击可把它作为目标运行
editor-scope-hint = 已折叠的 { $name } 作用域：点击展开
editor-fetch-pin-hint = 点击，在下一次运行中取这个张量的值
editor-expand = 展开 { $name }
editor-rename = 重命名…
editor-run-as-target = 作为目标运行
editor-remove-control-inputs = 移除控制依赖
editor-copy = 复制
editor-delete = 删除
editor-add-node-here = 在此添加节点：
editor-search = 搜索
editor-refuse-op-to-input = '{ $name }' 是一个运算，不是张量：请把它连到 ^ 控制依赖输入
editor-refuse-tensor-to-control = 控制依赖输入需要一个运算：请连接 '{ $name }' 的 'op' 端口

## 对话框
modal-ok = 确定
modal-unsaved = 有未保存的修改
modal-save-first = 先保存对 { $name } 的修改吗？
modal-save = 保存
modal-dont-save = 不保存
modal-cancel = 取消
modal-new-session = 新建会话
modal-graph = 计算图
modal-config = 配置
modal-open-session = 打开会话
modal-rename-node = 重命名 { $name }
modal-new-name = 新名称
modal-rename = 重命名
modal-rename-graph = 重命名计算图

## 笔记
notes-heading = 笔记
notes-empty = 这个项目还没有说明。

## 内置文件浏览器
browser-up = ⬆ 上一级
browser-up-hint = 上一级文件夹（Backspace）
browser-folder = 文件夹：
browser-empty = （空文件夹）
browser-file-name = 文件名：
browser-name-hint-save = 要写入的文件名
browser-name-hint-open = 在上面选一个文件
browser-show = 显示：
browser-hidden = 隐藏文件
browser-save = 保存
browser-open = 打开
browser-keys = ⬆⬇ 选择 · Enter 打开 · Backspace 上一级 · Esc 取消

## 导入 CSV
csv-title = 导入 CSV
csv-file = 文件：{ $path }
csv-dataset-name = 数据集名称：
csv-header = 第一行是表头
csv-error = 错误：{ $error }
csv-embed = 把各行数据嵌入项目
csv-reference = 引用这个文件（相对路径）
csv-reference-hint = 项目只保存相对于项目文件的路径；运行时才读取数据
csv-import = 导入
csv-columns = 列（恰好一个标签，至少一个特征）：
csv-rename = 重命名：
csv-shape = { $rows } 行，{ $columns } 列
csv-shape-header = { $rows } 行，{ $columns } 列，含表头
csv-more-rows = … 还有 { $count } 行

## 图像网格
images-none = 没有可显示的图像
images-example = 样本 { $index }：标签 { $label }
images-example-predicted = 样本 { $index }：标签 { $label }，预测 { $predicted }

## 导入 CSV 的列角色与文件浏览器的标题
csv-role-feature = 特征
csv-role-label = 标签
csv-role-ignore = 忽略
csv-not-saved = 请先保存项目，才能用相对于它的路径引用这个文件
browser-title-open = 打开项目
browser-title-save-as = 项目另存为
browser-title-export-csv = 导出曲线数据
browser-title-export-png = 导出曲线图
browser-title-export-tf = 导出 TensorFlow 脚本
browser-title-import-csv = 导入 CSV 数据

## 日志行（窗口自己的提示；TF 的错误和 Python 代码行保持原样）
log-nothing-to-export = 还没有可导出的内容：请先训练
log-exported = 已导出 { $path }
log-exported-script = 已把 TensorFlow 脚本导出到 { $path }
log-save-cancelled = 已取消保存：没有关闭或替换任何内容
log-opened = 已打开“{ $name }”（{ $file }）
log-csv-paths-rebased = 已把 { $count } 个引用的 CSV 路径改写为相对于 { $dir }
log-saved = 已保存 { $path }
log-saved-invalid = 在修正这个问题之前，保存的文件无法加载：{ $error }
log-initialized = { $session } 中已初始化 { $count } 个变量
log-replaying = 正在重放“{ $name }”的脚本（{ $count } 步）
log-previous-session-closed = 上一次运行的会话 { $old } 已关闭：这次在 { $new } 中训练（会话：选“在 … 中继续”可一直在同一个会话中训练）
log-more-evals = … 还有 { $count } 行评估结果：训练视图的表格中有全部结果
log-training-failed = { $session } 中的训练在第 { $step } 步失败
log-training-stopped = { $session } 中的训练在 { $steps } 步后停止
log-training-finished = { $session } 中的训练完成：共 { $steps } 步
log-nodes-added = 已添加 { $count } 个节点
log-dataset-imported = 已从 { $path } 导入数据集“{ $name }”（{ $rows } 行；特征 { $features }；标签 { $label }）
log-dataset-imported-referenced = 已从 { $path } 导入数据集“{ $name }”（{ $rows } 行；特征 { $features }；标签 { $label }；引用文件）
log-dataset-replaced = 已用 { $path } 替换数据集“{ $name }”（{ $rows } 行；特征 { $features }；标签 { $label }）
log-dataset-replaced-referenced = 已用 { $path } 替换数据集“{ $name }”（{ $rows } 行；特征 { $features }；标签 { $label }；引用文件）

## 后来补上的小标签（检查器、运行面板）
inspector-no-attrs = 无
run-remove = 移除

## ConfigProto 摘要与 CPU 的说明
config-cpu-description = 主机 CPU，{ $cores } 个核；所有内核（kernel）都在这里运行
summary-soft-placement = 软放置
summary-log-placement = 记录放置
summary-intra = intra { $value }
summary-inter = inter { $value }
summary-timeout = 超时 { $value } ms
summary-memory = 内存 { $value } MB
summary-allow-growth = gpu allow_growth
summary-gpu-fraction = gpu 比例 { $value }
summary-default = 默认配置
summary-separator = {"，"}

## 示例的标题（打开示例）
example-3_1_default_graph = 3.1 默认计算图
example-3_1_two_graphs = 3.1 两个计算图，各有一个变量 v
example-3_1_device = 3.1 指定设备
example-3_2_tensors = 3.2 张量：名字、维度和类型
example-3_3_sessions = 3.3 会话与 ConfigProto
example-3_4_3_forward = 3.4.3 前向传播算法
example-3_4_4_placeholder = 3.4.4 占位符与 feed_dict
example-3_4_5_training = 3.4.5 完整神经网络样例程序
example-csv_points = CSV 数据：用你自己的点训练 3.4.5 的网络
example-4_2_2_custom_loss = 4.2.2 自定义损失函数
example-4_4_1_learning_rate_decay = 4.4.1 学习率的设置（指数衰减）
example-4_4_3_moving_average = 4.4.3 滑动平均模型
example-5_2_1_mnist = 5.2.1 完整的 MNIST 程序
example-5_4_saver = 5.4 模型持久化：保存和还原变量
example-debug_log_of_zero = 调试：没有 clip_by_value 时的 log(0)

## 文件错误（标题；原因保持系统或项目加载器的原话）
error-could-not-write = 无法写入 { $path }
error-could-not-export-script = 无法导出 TensorFlow 脚本
error-could-not-open = 无法打开 { $name }
error-could-not-save = 无法保存 { $path }

## 训练错误（窗口自己的话；其中 TF 的错误保持 TF 的原话）
error-training-running = 已有一个训练任务在运行：请先停止它。
error-training-not-started = 训练未开始：{ $reason }
error-nodes-in-error = 计算图中有出错的节点
error-could-not-open-session = 无法打开会话
error-session-not-returned = 训练线程没有交还它的会话
error-no-train-op = 计算图中没有训练 op '{ $name }'
error-no-column = 数据集 '{ $dataset }' 没有列 '{ $column }'（它有 { $columns }）

## TF 自己的文件：检查点、计算图、TensorBoard 日志（#17）
menu-import-tf-graph = 导入 TensorFlow 计算图…
menu-open-checkpoint = 打开检查点…
menu-save-checkpoint = 保存检查点…
menu-restore-checkpoint = 恢复检查点…
browser-title-save-checkpoint = 保存检查点（一个前缀，例如 model.ckpt）
browser-title-restore-checkpoint = 恢复检查点
browser-title-open-checkpoint = 打开检查点
browser-title-import-tf-graph = 导入 TensorFlow 计算图（.pb、.pbtxt、.meta）
log-graph-node-unsupported = 节点 '{ $node }' 保留为出错节点：{ $why }
log-checkpoint-saved = 已将 { $count } 个变量保存到 { $path }
log-checkpoint-restored = 已从 { $path } 恢复 { $count } 个变量
log-tensorboard = TensorBoard 日志：{ $path }
ckpt-title = 检查点
ckpt-prefix = 检查点：{ $path }
ckpt-open-other = 打开其他…
ckpt-restore-into = 恢复到 { $session }
ckpt-restore-no-session = 恢复（请先打开一个会话）
ckpt-summary = 共 { $count } 个张量，{ $params } 个值
ckpt-col-name = 张量
ckpt-col-dtype = dtype
ckpt-col-shape = shape
ckpt-no-selection = 点击一个张量查看它的值。
train-tensorboard = TensorBoard 日志
train-tensorboard-hint = 训练时写入 TensorBoard 事件文件：计算图、损失、评估的指标、衰减的学习率和所观察权重的直方图（用 tensorboard --logdir 文件夹 查看）
train-logdir = 文件夹
error-logdir-empty = TensorBoard 日志需要一个文件夹
error-logdir-relative = 相对的 TensorBoard 文件夹需要项目保存在某个文件夹中；请先保存，或使用绝对路径
## 调试器（画布上的 tfdbg）
run-debug-button = 🐞 调试
run-debug-button-hint = 在调试器下运行：在第一个运算前暂停，然后逐个运算执行，在画布上看到每个值出现
error-debug-running = 已有一个调试运行处于暂停状态：请先继续或停止它。
error-debug-paused = 运行正暂停在调试器中：关闭前请先继续或停止它。
error-debug-train-without = 这个训练任务没有在调试器下运行：请先停止它，“调试一步”会在调试器下重新开始。
log-debug-run = 在调试器（tfdbg）下
log-debug-filter-stop = 训练在第 { $step } 步暂停：{ $filter } 匹配了 { $tensor }。
debug-title = 调试器
debug-non-finite = { $count } 个 inf/nan
debug-training-step = 训练第 { $step } 步
debug-paused-start = 在第一个运算前暂停（计划中共 { $total } 个运算）
debug-paused-after = 在 { $op } 之后暂停 —— 第 { $done } / { $total } 个运算
debug-paused-breakpoint = 断点：在 { $op } 之后暂停 —— 第 { $done } / { $total } 个运算
debug-paused-filter = 第一个 { $filter } 值出现在 { $tensor }（{ $type }）
debug-stopped = 调试器在 { $done } / { $total } 个运算后停止了运行
debug-done = 运行完成：执行了 { $done } / { $total } 个运算
debug-waiting = 等待下一个训练步
debug-running = 运行中… { $done } / { $total } 个运算
debug-step = 单步
debug-step-hint = 执行下一个运算后暂停（F10）
debug-step-over = 跳过作用域
debug-step-over-hint = 执行下一个运算所在名称作用域（例如整个 gradients/）中的全部运算，在最后一个之后暂停
debug-continue = 继续
debug-continue-hint = 运行到本次运行结束，或到下一个断点（F9）
debug-run-to = 运行到所选节点
debug-run-to-hint = 一直运行到画布上选中的节点执行完
debug-stop = 停止运行
debug-stop-hint = 在此结束本次运行（CancelledError）；已算出的值保留
debug-close = 关闭
debug-continue-until = 继续直到
debug-continue-until-hint = 一直运行到某个运算的输出匹配过滤器
debug-filter = 过滤器
debug-updates = 本步中的变量更新
debug-plan = 按执行顺序的计划（{ $count } 个运算）
debug-input = 输入
debug-breakpoint-hint = 断点：运行会在这个运算之后暂停（点击设置或清除）
debug-element = 公式中显示的元素
debug-before = 之前
debug-gradient = 梯度
debug-after = 之后
debug-more-elements = ……还有 { $count } 个元素
debug-inspector-heading = 调试器
debug-set-breakpoint = ● 设置断点
debug-clear-breakpoint = ○ 清除断点
debug-too-large = （太大，只保留摘要）
debug-not-run-yet = 在调试运行中尚未执行。
debug-not-in-run = 不属于这次调试运行。
debug-run-to-here = 运行到这里
train-stop-at-nan = 在第一个 NaN/Inf 处停止
train-stop-at-nan-hint = 在调试器下运行任务：训练会在第一次出现 inf 或 NaN 的那一步、那个运算处暂停（较慢：不走快速路径）
train-debug-step = 🐞 调试一步
train-debug-step-hint = 在调试器下运行下一个训练步，在它的第一个运算前暂停：前向传播、梯度和优化器的更新，逐个运算
debug-after-step = 训练第 { $step } 步之后（两步之间的运行：全部数据上的损失或快照）
log-debug-filter-stop-between = 训练在第 { $step } 步之后、两步之间的运行中暂停：{ $filter } 匹配了 { $tensor }。
debug-not-run-yet-short = （尚未）
sessions-state-debugging = 调试中
sessions-owned-by-debugger = 调试运行占用着这个会话，直到它结束（见“调试器”窗口）
debug-group-ran = 本次运行中的 { $total } 个运算已执行 { $done } 个
debug-this-op = 刚执行的运算：{ $op }
debug-failed = 运行失败：{ $error }
## ux：分层画布，以及此前仍是英文的内容
ux-collapse-groups = 折叠分组
ux-collapse-groups-hint = 把已展开的 gradients/ 与优化器分组重新各折叠成一个节点
ux-expand-group-hint = 展开这个分组（或双击它）
ux-placement-default = 没有指定设备，放在默认设备上
ux-placement-as-requested = 按指定的设备（{ $device }）
ux-placement-soft = 软放置：这里没有 { $device }，所以这个运算退回到 CPU:0 上运行
ux-feed-not-an-array = 不是数组：{ $error }
ux-session-busy = FailedPreconditionError：会话 '{ $session }' 正在训练：训练停止之前，它的变量不能被{ $what }。
ux-busy-initialized = 初始化
ux-busy-run = 运行或读取
ux-busy-closed = 关闭
ux-feed-for = ValueError：{ $tensor } 的 feed：{ $error }
ux-graph-name-taken = ValueError：已有名为 '{ $name }' 的计算图，或名字为空
ux-export-unsupported = 导出：不支持：{ $what }
ux-boundary-output = 决策边界的输出：{ $error }
ux-loss-problem = 损失函数：{ $error }
ux-pin-op = 运算
ux-pin-op-target = 运算 ◉ 目标
ux-kind-numpy-rand = numpy 随机数
ux-kind-numpy-rand--x1-x2-1- = numpy 随机数（x1+x2<1）
ux-kind-circle = 圆形
ux-kind-xor = 异或
ux-kind-gauss = 高斯
ux-kind-spiral = 螺旋
ux-kind-inline = 内嵌数据
ux-kind-idx-images = IDX 图像

## confusion
confusion-title = 混淆矩阵（{ $split }，第 { $step } 步，{ $total } 个样本）
confusion-hint = 行：真实标签。列：预测类别（输出的 argmax）。每格为样本数。
confusion-accuracy = 准确率
confusion-accuracy-hint = { $tensor } 的 argmax，即损失函数所用的输出（日志行可能输出另一个模型的正确率，例如滑动平均模型的）。
confusion-validation = 验证集准确率
confusion-test = 测试集准确率
confusion-validation-loss = 验证集损失
confusion-test-loss = 测试集损失
confusion-last-accuracy = 最新准确率：验证集 { $validation }，测试集 { $test }
confusion-samples = 测试样本（真实标签，或 真实 -> 预测）

## Python 程序视图
program-starting = 正在启动…
program-paused = 暂停在第 { $line } 行之前
program-running = 正在运行（第 { $line } 行）
program-finished = 已运行到结尾：它构建的项目已打开（未保存）
program-failed = 在第 { $line } 行失败
program-stopped = 停止在第 { $line } 行之前
program-run = ▶ 运行
program-run-hint = 从头到尾运行程序
program-step = 单步（F10）
program-step-hint = 运行一条语句（函数调用整个运行）后暂停；程序未运行时从头开始
program-continue = 继续（F9）
program-continue-hint = 从这里运行到结尾
program-pause = ⏸ 暂停
program-stop = ⏹ 停止
program-stop-hint = 在下一条语句之前结束程序（while True 循环也可以）
program-close-hint = 关闭程序视图（正在运行的程序会停止；已构建的内容保留）
sessions-of-program = { $file } 的会话
log-program-opened = 已打开 { $file }：暂停在第一条语句之前（F10 运行一条语句，F9 继续，“运行”全部运行）
log-program-restarted = { $file }：从第一条语句重新开始
log-program-stopped = { $file }：停止在第 { $line } 行之前；已构建的内容保留打开
log-program-finished = { $file } 已运行到结尾：它构建的项目已打开（未保存；“文件 > 另存为…”可保存）
program-breakpoint-hint = 点击：设置或清除断点（“运行”和“继续”会在这一行之前暂停）
