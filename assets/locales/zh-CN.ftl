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
