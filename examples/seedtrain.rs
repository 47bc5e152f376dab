use flowbench::engine::graph::Graph;
use flowbench::engine::kernels::{BinaryOp, ReduceOp, UnaryOp};
use flowbench::engine::optimizers::{Optimizer, minimize};
use flowbench::engine::random::RandomState;
use flowbench::engine::session::{ConfigProto, Feed, Session};
use flowbench::engine::{DType, Shape, Value};

fn main() {
    let mut g = Graph::new();
    let r1 = g.random_normal(&[2, 3], 0.0, 1.0, Some(1), DType::Float32, None).unwrap();
    let w1 = g.variable(r1, None).unwrap();
    let r2 = g.random_normal(&[3, 1], 0.0, 1.0, Some(1), DType::Float32, None).unwrap();
    let w2 = g.variable(r2, None).unwrap();
    let x = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(2)]), Some("x-input")).unwrap();
    let y_ = g.placeholder(DType::Float32, Shape::from_dims(vec![None, Some(1)]), Some("y-input")).unwrap();
    let a = g.matmul(x, w1, None).unwrap();
    let y = g.matmul(a, w2, None).unwrap();
    let y = g.unary(UnaryOp::Sigmoid, y, None).unwrap();
    let c1 = g.clip_by_value(y, 1e-10, 1.0, None).unwrap();
    let l1 = g.unary(UnaryOp::Log, c1, None).unwrap();
    let m1 = g.binary(BinaryOp::Mul, y_, l1, None).unwrap();
    let one = g.constant(Value::scalar_f32(1.0), Some("sub/x")).unwrap();
    let s1 = g.binary(BinaryOp::Sub, one, y_, None).unwrap();
    let one2 = g.constant(Value::scalar_f32(1.0), Some("sub_1/x")).unwrap();
    let s2 = g.binary(BinaryOp::Sub, one2, y, None).unwrap();
    let c2 = g.clip_by_value(s2, 1e-10, 1.0, None).unwrap();
    let l2 = g.unary(UnaryOp::Log, c2, None).unwrap();
    let m2 = g.binary(BinaryOp::Mul, s1, l2, None).unwrap();
    let sum = g.binary(BinaryOp::Add, m1, m2, None).unwrap();
    let mean = g.reduce(ReduceOp::Mean, sum, None, false, None).unwrap();
    let loss = g.unary(UnaryOp::Neg, mean, None).unwrap();
    let train = minimize(&mut g, &Optimizer::adam(0.001), loss, None).unwrap();
    let init = g.global_variables_initializer().unwrap();
    let mut rs = RandomState::new(1);
    let xs = rs.rand(256);
    let xv: Vec<f32> = xs.iter().map(|&v| v as f32).collect();
    let yv: Vec<f32> = xs.chunks(2).map(|p| if p[0] + p[1] < 1.0 { 1.0 } else { 0.0 }).collect();
    let xall = Value::F32(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[128, 2]), xv.clone()).unwrap());
    let yall = Value::F32(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[128, 1]), yv.clone()).unwrap());
    let mut s = Session::new(&g, ConfigProto::default());
    s.run(&g, &[], &[], &[init]).unwrap();
    let o = s.run(&g, &[w1, w2], &[], &[]).unwrap();
    println!("{}\n{}", o.values[0].to_numpy_string(), o.values[1].to_numpy_string());
    let t0 = std::time::Instant::now();
    for i in 0..5000usize {
        let start = (i * 8) % 128;
        let xb = Value::F32(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[8, 2]), xv[start * 2..start * 2 + 16].to_vec()).unwrap(),
        );
        let yb = Value::F32(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[8, 1]), yv[start..start + 8].to_vec()).unwrap(),
        );
        s.run(&g, &[y], &[Feed { tensor: x, value: xb }, Feed { tensor: y_, value: yb }], &[train]).unwrap();
        if i % 1000 == 0 {
            let l = s
                .run(
                    &g,
                    &[loss],
                    &[Feed { tensor: x, value: xall.clone() }, Feed { tensor: y_, value: yall.clone() }],
                    &[],
                )
                .unwrap();
            println!(
                "After {} training step(s), cross entropy on all data is {}",
                i,
                flowbench::engine::numpy_fmt::printf_g(l.values[0].first_f64().unwrap(), 6)
            );
        }
    }
    let el = t0.elapsed();
    let o = s.run(&g, &[w1, w2], &[], &[]).unwrap();
    println!("{}\n{}", o.values[0].to_numpy_string(), o.values[1].to_numpy_string());
    eprintln!("5000 steps in {:?} = {:.0} steps/s; nodes {}", el, 5000.0 / el.as_secs_f64(), g.nodes().len());
}
