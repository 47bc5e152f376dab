//! Devices: parsing of TF device specs (`/gpu:0`, `/device:CPU:0`, `/job:localhost/...`), the
//! honest list of devices this machine offers, and placement of a node with or without soft
//! placement.

use crate::engine::error::{Error, ErrorClass, Result};
use std::fmt;

/// The full name of the one CPU device.
pub const CPU0: &str = "/job:localhost/replica:0/task:0/device:CPU:0";

/// A parsed device specification; every field is optional, as in TF.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceSpec {
    /// `/job:NAME`.
    pub job: Option<String>,
    /// `/replica:N`.
    pub replica: Option<u32>,
    /// `/task:N`.
    pub task: Option<u32>,
    /// Device type, upper-case (`CPU`, `GPU`).
    pub device_type: Option<String>,
    /// Device index.
    pub index: Option<u32>,
}

impl DeviceSpec {
    /// Parses the forms TF accepts: `/gpu:0`, `/cpu:0`, `/device:GPU:1`, `GPU:0`,
    /// `/job:localhost/replica:0/task:0/device:CPU:0`, `/job:worker`, `` (no constraint).
    pub fn parse(s: &str) -> Result<DeviceSpec> {
        let bad = || Error::value_error(format!("Unknown attribute: '{s}' in '{s}'"));
        let mut spec = DeviceSpec::default();
        let t = s.trim();
        if t.is_empty() {
            return Ok(spec);
        }
        let parts: Vec<&str> = t.trim_start_matches('/').split('/').filter(|p| !p.is_empty()).collect();
        for part in parts {
            let fields: Vec<&str> = part.split(':').collect();
            match fields.as_slice() {
                ["job", name] if !name.is_empty() => spec.job = Some((*name).to_string()),
                ["replica", n] => spec.replica = Some(n.parse().map_err(|_| bad())?),
                ["task", n] => spec.task = Some(n.parse().map_err(|_| bad())?),
                ["device", ty, n] | [ty, n] if is_type(ty) => {
                    spec.device_type = Some(ty.to_uppercase());
                    spec.index = if *n == "*" { None } else { Some(n.parse().map_err(|_| bad())?) };
                }
                ["device", ty] | [ty] if is_type(ty) => spec.device_type = Some(ty.to_uppercase()),
                _ => return Err(bad()),
            }
        }
        Ok(spec)
    }

    /// TF's canonical short form: `/device:GPU:0`.
    pub fn canonical(&self) -> String {
        let mut s = String::new();
        if let Some(j) = &self.job {
            s.push_str(&format!("/job:{j}"));
        }
        if let Some(r) = self.replica {
            s.push_str(&format!("/replica:{r}"));
        }
        if let Some(t) = self.task {
            s.push_str(&format!("/task:{t}"));
        }
        if let Some(ty) = &self.device_type {
            match self.index {
                Some(i) => s.push_str(&format!("/device:{ty}:{i}")),
                None => s.push_str(&format!("/device:{ty}:*")),
            }
        }
        s
    }

    /// True if `device` (a full name from [`available_devices`]) satisfies this spec.
    pub fn matches(&self, device: &DeviceInfo) -> bool {
        self.job.as_deref().is_none_or(|j| j == "localhost")
            && self.replica.is_none_or(|r| r == 0)
            && self.task.is_none_or(|t| t == 0)
            && self.device_type.as_deref().is_none_or(|t| t == device.device_type)
            && self.index.is_none_or(|i| i == device.index)
    }
}

fn is_type(s: &str) -> bool {
    matches!(s.to_uppercase().as_str(), "CPU" | "GPU" | "TPU" | "XLA_CPU" | "XLA_GPU")
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

/// One device the engine can run kernels on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Full name: `/job:localhost/replica:0/task:0/device:CPU:0`.
    pub name: String,
    /// `CPU` or `GPU`.
    pub device_type: String,
    /// Index within its type.
    pub index: u32,
    /// A line on what it is, for the device panel.
    pub description: String,
}

/// The devices this engine really offers: the CPU, and no GPU (there are no GPU kernels).
pub fn available_devices() -> Vec<DeviceInfo> {
    // Asked once: the answer reads cgroup files, and every placed node asks.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    vec![DeviceInfo {
        name: CPU0.to_string(),
        device_type: "CPU".to_string(),
        index: 0,
        description: format!("host CPU, {cores} core(s); every kernel runs here"),
    }]
}

/// Where a node was placed and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Node name.
    pub node: String,
    /// Op type (`AddV2`).
    pub op_type: String,
    /// The device requested, as written (empty if none).
    pub requested: String,
    /// The full name of the device it got.
    pub device: String,
    /// Why it is there (`no device requested`, `soft placement: ...`).
    pub reason: String,
    /// The same, as a kind (for the window's wording in other languages).
    pub kind: PlacementKind,
}

/// Which rule placed a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlacementKind {
    /// No device requested: the default device.
    Default,
    /// The requested device exists.
    AsRequested,
    /// The requested device does not exist; soft placement moved the op to the CPU.
    Soft,
}

impl Placement {
    /// The line `log_device_placement` prints: `add: (AddV2): /job:localhost/.../device:CPU:0`.
    pub fn log_line(&self) -> String {
        format!("{}: ({}): {}", self.node, self.op_type, self.device)
    }
}

/// Places one node: the requested spec if a device satisfies it; otherwise the CPU with soft
/// placement, or TF's error without it.
pub fn place(node: &str, op_type: &str, requested: &str, allow_soft_placement: bool) -> Result<Placement> {
    let devices = available_devices();
    let cpu = devices[0].name.clone();
    let spec = DeviceSpec::parse(requested).map_err(|e| e.at(node))?;
    let mk = |device: String, reason: String, kind: PlacementKind| Placement {
        node: node.to_string(),
        op_type: op_type.to_string(),
        requested: requested.to_string(),
        device,
        reason,
        kind,
    };
    if requested.trim().is_empty() {
        return Ok(mk(cpu, "no device requested; placed on the default device".to_string(), PlacementKind::Default));
    }
    if let Some(d) = devices.iter().find(|d| spec.matches(d)) {
        return Ok(mk(d.name.clone(), format!("as requested ({})", spec.canonical()), PlacementKind::AsRequested));
    }
    if allow_soft_placement {
        return Ok(mk(
            cpu,
            format!("soft placement: {} is not available here, so the op fell back to CPU:0", spec.canonical()),
            PlacementKind::Soft,
        ));
    }
    let list: Vec<&str> = devices.iter().map(|d| d.name.as_str()).collect();
    // TF 2.21's words (checked here); a GPU request adds why none is there.
    let gpu = if spec.device_type.as_deref() == Some("GPU") {
        " The requested device appears to be a GPU, but CUDA is not enabled."
    } else {
        ""
    };
    Err(Error::new(
        ErrorClass::InvalidArgument,
        format!(
            "Cannot assign a device for operation {node}: {{{{node {node}}}}} was explicitly assigned to {} but available devices are [ {} ]. Make sure the device specification refers to a valid device.{gpu}",
            spec.canonical(),
            list.join(", ")
        ),
    )
    .at(node))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tf_forms() {
        let g = DeviceSpec::parse("/gpu:0").unwrap();
        assert_eq!(g.canonical(), "/device:GPU:0");
        assert_eq!(DeviceSpec::parse("/device:CPU:0").unwrap().canonical(), "/device:CPU:0");
        let full = DeviceSpec::parse(CPU0).unwrap();
        assert_eq!(full.canonical(), CPU0);
        assert_eq!(DeviceSpec::parse("/job:localhost").unwrap().job.as_deref(), Some("localhost"));
        assert!(DeviceSpec::parse("/banana:1").is_err());
        assert!(DeviceSpec::parse("/gpu:x").is_err());
    }

    #[test]
    fn placement_rules() {
        let p = place("add", "AddV2", "", false).unwrap();
        assert_eq!(p.log_line(), "add: (AddV2): /job:localhost/replica:0/task:0/device:CPU:0");
        let p = place("add", "AddV2", "/cpu:0", false).unwrap();
        assert_eq!(p.device, CPU0);
        let e = place("z", "AddV2", "/gpu:0", false).unwrap_err();
        assert_eq!(e.class, ErrorClass::InvalidArgument);
        assert_eq!(
            e.message,
            "Cannot assign a device for operation z: {{node z}} was explicitly assigned to /device:GPU:0 but available devices are [ /job:localhost/replica:0/task:0/device:CPU:0 ]. Make sure the device specification refers to a valid device. The requested device appears to be a GPU, but CUDA is not enabled."
        );
        assert_eq!(e.node.as_deref(), Some("z"));
        let p = place("z", "AddV2", "/gpu:0", true).unwrap();
        assert_eq!(p.device, CPU0);
        assert!(p.reason.contains("soft placement"));
    }
}
