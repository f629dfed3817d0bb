//! What can go wrong talking to X-Ray, as errors a user can act on. SDK errors are classified
//! once, here: the rest of the app only sees [`AwsError`] and its [`AwsError::hint`].

use aws_sdk_xray::config::http::HttpResponse;
use aws_sdk_xray::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// The IAM actions the app uses, for "access denied" hints.
pub const IAM_ACTIONS: &str = "xray:GetTraceSummaries, xray:BatchGetTraces, \
     xray:GetServiceGraph, xray:GetTraceGraph, xray:GetGroups, xray:GetGroup (for --group)";

/// A failure of the AWS source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    /// The credential chain found nothing.
    #[error("no AWS credentials found ({0})")]
    NoCredentials(String),
    /// No region from `--region`, the environment or the profile.
    #[error("no AWS region configured")]
    NoRegion,
    /// The SSO (or session) token has expired.
    #[error("the AWS session has expired ({0})")]
    Expired(String),
    /// IAM said no.
    #[error("access denied by AWS: {0}")]
    AccessDenied(String),
    /// `--group` names a group that does not exist.
    #[error("X-Ray group {0:?} does not exist")]
    UnknownGroup(String),
    /// The service rejected the request (a bad filter expression, a bad time window...).
    #[error("X-Ray rejected the request: {0}")]
    Rejected(String),
    /// Still throttled after the SDK's retries.
    #[error("X-Ray throttled the requests (still throttled after retries): {0}")]
    Throttled(String),
    /// Any other service answer that is an error (5xx after retries, unexpected 4xx).
    #[error("X-Ray answered HTTP {status}{}: {message}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    Service {
        /// HTTP status.
        status: u16,
        /// The service's error code, when it sent one.
        code: Option<String>,
        /// The service's message (or the response body's start).
        message: String,
    },
    /// The endpoint could not be reached (DNS, connection refused, TLS, timeout).
    #[error("cannot reach {endpoint}: {detail}")]
    Unreachable {
        /// The endpoint URL, or a description of it.
        endpoint: String,
        /// What the connector said.
        detail: String,
    },
    /// A bad `--since`/`--start`/`--end`.
    #[error("{0}")]
    Time(String),
    /// Anything else, with the SDK's full error chain.
    #[error("{0}")]
    Other(String),
}

impl From<crate::model::window::WindowError> for AwsError {
    fn from(e: crate::model::window::WindowError) -> Self {
        AwsError::Time(e.0)
    }
}

impl AwsError {
    /// The heading over an error as the fetcher reports it ([`AwsError::with_hint`]): what
    /// happened, said as it happened (nothing answering is not an answer). Next to the
    /// messages it reads, so that they change together.
    pub fn heading_of(reported: &str) -> &'static str {
        if reported.starts_with("cannot reach ") {
            "X-Ray could not be reached"
        } else if reported.starts_with("no AWS credentials")
            || reported.starts_with("no AWS region")
            || reported.starts_with("the AWS session has expired")
        {
            "AWS is not set up for xray-tui"
        } else {
            "X-Ray answered with an error"
        }
    }

    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            AwsError::NoCredentials(_) => "configure credentials: `aws configure`, `aws sso login \
                 --profile NAME` then `--profile NAME`, or AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY; or use --demo / --file for offline data"
                .into(),
            AwsError::NoRegion => "pass --region (e.g. --region us-east-1), set AWS_REGION, or \
                 set `region` in the profile; or use --demo / --file for offline data"
                .into(),
            AwsError::Expired(_) => {
                "log in again: `aws sso login` (with --profile NAME if you use one)".into()
            }
            AwsError::AccessDenied(_) => {
                format!("the identity needs these IAM actions: {IAM_ACTIONS}")
            }
            AwsError::UnknownGroup(_) => {
                "list the groups with `aws xray get-groups`; group names are case-sensitive".into()
            }
            AwsError::Rejected(_) => "check the filter expression and the time window".into(),
            AwsError::Throttled(_) => "wait a little, use a shorter window (--since), or raise \
                 AWS_MAX_ATTEMPTS"
                .into(),
            AwsError::Unreachable { .. } => "check the network, --region and --endpoint-url \
                 (or AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_XRAY)"
                .into(),
            AwsError::Service { .. } | AwsError::Time(_) | AwsError::Other(_) => return None,
        })
    }

    /// The error and its hint, on two lines, for a terminal.
    pub fn with_hint(&self) -> String {
        match self.hint() {
            Some(h) => format!("{self}\n  hint: {h}"),
            None => self.to_string(),
        }
    }

    /// Whether the user's input was at fault (a rejected filter, an unknown group, a bad time,
    /// no region): exit status 2.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            AwsError::Rejected(_)
                | AwsError::UnknownGroup(_)
                | AwsError::Time(_)
                | AwsError::NoRegion
        )
    }
}

/// Classifies an SDK error. `endpoint` names where requests went, for "cannot reach".
pub fn classify<E>(err: SdkError<E, HttpResponse>, endpoint: &str) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let chain = DisplayErrorContext(&err).to_string();
    let lower = chain.to_ascii_lowercase();
    // Failures before anything is sent: credentials and region.
    if lower.contains("no credentials")
        || lower.contains("loading credentials")
        || lower.contains("load credentials")
        || lower.contains("loading an access token")
        || lower.contains("credentials provider")
    {
        if lower.contains("expired") || lower.contains("unauthorizedexception") {
            return AwsError::Expired(one_line(&chain));
        }
        if lower.contains("io error") || lower.contains("connection refused") {
            return AwsError::Unreachable {
                endpoint: "the AWS credentials service (SSO, STS or instance metadata)".into(),
                detail: one_line(&chain),
            };
        }
        return AwsError::NoCredentials(one_line(&chain));
    }
    if lower.contains("signing region") || lower.contains("region must be set") {
        return AwsError::NoRegion;
    }
    match &err {
        SdkError::ServiceError(se) => {
            let code = se.err().code().map(str::to_owned);
            let message = se
                .err()
                .message()
                .map(str::to_owned)
                .unwrap_or_else(|| one_line(&chain));
            service(code, message, se.raw().status().as_u16())
        }
        SdkError::DispatchFailure(d) if d.is_io() || d.is_timeout() => AwsError::Unreachable {
            endpoint: endpoint.to_owned(),
            detail: one_line(&chain),
        },
        SdkError::TimeoutError(_) => AwsError::Unreachable {
            endpoint: endpoint.to_owned(),
            detail: "timed out".into(),
        },
        SdkError::ResponseError(r) => AwsError::Service {
            status: r.raw().status().as_u16(),
            code: None,
            message: format!("unreadable response: {}", one_line(&chain)),
        },
        _ if lower.contains("connection refused") || lower.contains("dns error") => {
            AwsError::Unreachable {
                endpoint: endpoint.to_owned(),
                detail: one_line(&chain),
            }
        }
        _ => AwsError::Other(one_line(&chain)),
    }
}

fn service(code: Option<String>, message: String, status: u16) -> AwsError {
    match code.as_deref() {
        Some(
            "AccessDeniedException"
            | "AccessDenied"
            | "UnauthorizedOperation"
            | "UnrecognizedClientException"
            | "InvalidSignatureException",
        ) => AwsError::AccessDenied(message),
        Some("ExpiredTokenException" | "ExpiredToken") => AwsError::Expired(message),
        Some("InvalidRequestException" | "ValidationException" | "InvalidParameterValue") => {
            AwsError::Rejected(message)
        }
        Some("ThrottledException" | "ThrottlingException" | "TooManyRequestsException") => {
            AwsError::Throttled(message)
        }
        _ if status == 429 => AwsError::Throttled(message),
        _ if status == 403 => AwsError::AccessDenied(message),
        _ => AwsError::Service {
            status,
            code,
            message,
        },
    }
}

/// The error chain on one line, without the trailing debug dump of the SDK error.
fn one_line(s: &str) -> String {
    let mut s = s;
    for dump in [
        " (DispatchFailure(",
        " (ServiceError(",
        " (ResponseError(",
        " (ConstructionFailure(",
        " (TimeoutError(",
    ] {
        if let Some(i) = s.find(dump) {
            s = &s[..i];
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn nothing_answering_is_not_an_answer() {
        let heading = |e: AwsError| AwsError::heading_of(&e.with_hint());
        assert_eq!(
            heading(AwsError::Unreachable {
                endpoint: "http://127.0.0.1:1".into(),
                detail: "connection refused".into()
            }),
            "X-Ray could not be reached"
        );
        for e in [
            AwsError::NoCredentials("profile default".into()),
            AwsError::NoRegion,
            AwsError::Expired("sso".into()),
        ] {
            assert_eq!(heading(e), "AWS is not set up for xray-tui");
        }
        assert_eq!(
            heading(AwsError::Service {
                status: 500,
                code: None,
                message: "internal".into()
            }),
            "X-Ray answered with an error"
        );
    }

    use super::*;

    #[test]
    fn service_codes_map_to_actionable_errors() {
        let s = |code: Option<&str>, status| service(code.map(str::to_owned), "m".into(), status);
        assert_eq!(
            s(Some("AccessDeniedException"), 403),
            AwsError::AccessDenied("m".into())
        );
        assert_eq!(
            s(Some("InvalidRequestException"), 400),
            AwsError::Rejected("m".into())
        );
        assert_eq!(
            s(Some("ThrottledException"), 429),
            AwsError::Throttled("m".into())
        );
        assert_eq!(s(None, 429), AwsError::Throttled("m".into()));
        assert!(matches!(
            s(Some("InternalFailure"), 500),
            AwsError::Service { status: 500, .. }
        ));
        let hint = AwsError::AccessDenied("m".into())
            .hint()
            .unwrap_or_default();
        assert!(hint.contains("xray:GetTraceSummaries") && hint.contains("xray:GetGroups"));
        assert!(AwsError::Rejected("m".into()).is_usage());
        assert!(!AwsError::Throttled("m".into()).is_usage());
    }

    #[test]
    fn one_line_drops_the_debug_dump() {
        assert_eq!(
            one_line("dispatch failure: io error\n (DispatchFailure(DispatchFailure { x }))"),
            "dispatch failure: io error"
        );
    }
}
