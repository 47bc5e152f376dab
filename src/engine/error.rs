//! Engine errors: TF's error classes and messages, with the node they concern so the UI can pin
//! them to it.

use std::fmt;

/// TF's error classes. Python-level construction errors (`TypeError`, `ValueError`,
/// `RuntimeError`) sit beside the runtime status codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Python `TypeError` raised while building a graph (dtype mismatch).
    TypeError,
    /// Python `ValueError` raised while building a graph (shapes, names, scopes).
    ValueError,
    /// Python `RuntimeError` (using a closed session).
    RuntimeError,
    /// Python `LookupError` (no gradient defined for an op).
    LookupError,
    /// `tf.errors.InvalidArgumentError`.
    InvalidArgument,
    /// `tf.errors.FailedPreconditionError`.
    FailedPrecondition,
    /// `tf.errors.DeadlineExceededError`.
    DeadlineExceeded,
    /// `tf.errors.ResourceExhaustedError`.
    ResourceExhausted,
    /// `tf.errors.UnimplementedError`.
    Unimplemented,
    /// `tf.errors.NotFoundError`.
    NotFound,
    /// `tf.errors.CancelledError`.
    Cancelled,
    /// `tf.errors.InternalError`.
    Internal,
    /// `tf.errors.DataLossError` (a corrupt file).
    DataLoss,
}

impl ErrorClass {
    /// The Python class name TF raises, e.g. `InvalidArgumentError`.
    pub fn python_name(self) -> &'static str {
        match self {
            ErrorClass::TypeError => "TypeError",
            ErrorClass::ValueError => "ValueError",
            ErrorClass::RuntimeError => "RuntimeError",
            ErrorClass::LookupError => "LookupError",
            ErrorClass::InvalidArgument => "InvalidArgumentError",
            ErrorClass::FailedPrecondition => "FailedPreconditionError",
            ErrorClass::DeadlineExceeded => "DeadlineExceededError",
            ErrorClass::ResourceExhausted => "ResourceExhaustedError",
            ErrorClass::Unimplemented => "UnimplementedError",
            ErrorClass::NotFound => "NotFoundError",
            ErrorClass::Cancelled => "CancelledError",
            ErrorClass::Internal => "InternalError",
            ErrorClass::DataLoss => "DataLossError",
        }
    }
}

/// An engine error: a class, TF's message, and the node it concerns (if any).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    /// TF's error class.
    pub class: ErrorClass,
    /// The message, worded as TF words it.
    pub message: String,
    /// The name of the node the error is about, for the UI to pin it.
    pub node: Option<String>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class.python_name(), self.message)
    }
}

impl Error {
    /// A new error of `class` with `message`.
    pub fn new(class: ErrorClass, message: impl Into<String>) -> Error {
        Error { class, message: message.into(), node: None }
    }

    /// Attaches the node name the error concerns.
    pub fn at(mut self, node: impl Into<String>) -> Error {
        self.node = Some(node.into());
        self
    }

    /// `TypeError`.
    pub fn type_error(m: impl Into<String>) -> Error {
        Error::new(ErrorClass::TypeError, m)
    }
    /// `ValueError`.
    pub fn value_error(m: impl Into<String>) -> Error {
        Error::new(ErrorClass::ValueError, m)
    }
    /// `InvalidArgumentError`.
    pub fn invalid_argument(m: impl Into<String>) -> Error {
        Error::new(ErrorClass::InvalidArgument, m)
    }
    /// `FailedPreconditionError`.
    pub fn failed_precondition(m: impl Into<String>) -> Error {
        Error::new(ErrorClass::FailedPrecondition, m)
    }
    /// `UnimplementedError`.
    pub fn unimplemented(m: impl Into<String>) -> Error {
        Error::new(ErrorClass::Unimplemented, m)
    }
    /// `InternalError`.
    pub fn internal(m: impl Into<String>) -> Error {
        Error::new(ErrorClass::Internal, m)
    }
}

/// Engine result.
pub type Result<T> = std::result::Result<T, Error>;
