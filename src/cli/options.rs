//! Command-line arguments turned into the options each part takes: the sources' options, the
//! AWS window, the app's launch settings. The parts below the CLI never see clap's types.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Failure, ListenArgs, SourceArgs};
use crate::runtime::Launch;
use crate::source::aws::fetch::Ask;
use crate::source::aws::live::{Connect, FetcherOptions, default_cache_dir};
use crate::source::aws::{AwsError, AwsOptions, Window};
use crate::source::daemon::store::TraceLimits;
use crate::source::daemon::{DaemonOptions, OtlpOptions, SamplingRules, parse_address};
use crate::source::load::Files;
use crate::source::otlp::receive::QueueLimits;
use crate::source::{self, Options};

/// AWS is the source when neither `--demo` nor `--file` is given.
pub fn is_aws(source: &SourceArgs) -> bool {
    !source.demo && source.files.is_empty()
}

/// The files (and the demo) to read.
pub fn files(source: &SourceArgs) -> Files {
    Files {
        demo: source.demo,
        paths: source.files.clone(),
        // 0 (what `SourceArgs::default()` holds) means the default limit.
        max_line: Some(source.max_line).filter(|&n| n > 0),
    }
}

/// The AWS connection options.
pub fn aws(source: &SourceArgs) -> AwsOptions {
    AwsOptions {
        profile: source.profile.clone(),
        region: source.region.clone(),
        endpoint_url: source.endpoint_url.clone(),
        retry: None,
    }
}

/// The window from the command line, relative to now.
pub fn window(source: &SourceArgs) -> Result<Window, AwsError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    Ok(Window::resolve(
        source.since.as_deref(),
        source.start.as_deref(),
        source.end.as_deref(),
        source.time_range_type,
        now,
    )?)
}

/// What a headless command asks of AWS.
pub fn ask(source: &SourceArgs) -> Result<Ask, AwsError> {
    Ok(Ask {
        aws: aws(source),
        window: window(source)?,
        group: source.group.clone(),
        summaries_only: source.summaries_only,
    })
}

/// The window the command line asked for, as the app's window editor writes it.
fn window_text(source: &SourceArgs) -> String {
    match (&source.start, &source.since) {
        (Some(s), _) => format!("{s}..{}", source.end.clone().unwrap_or_default()),
        (None, Some(s)) => s.clone(),
        (None, None) => String::new(),
    }
}

/// How the app starts over these sources (files and the demo, or AWS). The AWS window is
/// checked here, before the terminal is taken, so a typo is a plain error.
pub fn launch(source: &SourceArgs) -> Result<Launch, Failure> {
    if !is_aws(source) {
        return Ok(Launch {
            region: region(source),
            ..Launch::new(Options::Files(files(source)))
        });
    }
    window(source).map_err(|e| Failure::Usage(e.with_hint()))?;
    let fetcher = FetcherOptions {
        connect: Connect::Options(aws(source)),
        kind: source.time_range_type,
        follow_every: Duration::from_secs(source.follow_every.max(1)),
        disk_cache: default_cache_dir(),
    };
    let region = region(source);
    Ok(Launch {
        window: window_text(source),
        group: source.group.clone(),
        follow: source.follow,
        region,
        ..Launch::new(source::Options::Aws(fetcher))
    })
}

/// The region console URLs use: `--region` (or the config's `[defaults] region`, already
/// filled in), else `AWS_REGION`, else `AWS_DEFAULT_REGION`.
fn region(source: &SourceArgs) -> Option<String> {
    source
        .region
        .clone()
        .or_else(crate::source::aws::env_region)
}

/// Turns `listen` arguments into daemon options.
pub fn daemon(args: &ListenArgs) -> Result<DaemonOptions, Failure> {
    let address = parse_address(&args.bind).map_err(|e| Failure::Usage(format!("--bind {e}")))?;
    let sampling = match &args.sampling_rules {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| Failure::Usage(format!("--sampling-rules {}: {e}", p.display())))?;
            SamplingRules::from_json(&text)
                .map_err(|e| Failure::Usage(format!("--sampling-rules {}: {e}", p.display())))?
        }
        None if args.sample_all => SamplingRules::sample_all(),
        None => SamplingRules::default(),
    };
    Ok(DaemonOptions {
        address,
        recv_buffer: args.recv_buffer,
        buffer_memory: match args.buffer_memory {
            Some(mb) => usize::try_from(mb.saturating_mul(1000 * 1000)).unwrap_or(usize::MAX),
            None => crate::source::daemon::default_buffer_memory(),
        },
        limits: TraceLimits {
            traces: args.trace_limit,
            documents: args.trace_max_documents,
            bytes: args.trace_max_bytes,
        },
        save: args.save.clone(),
        forward: args.forward,
        sampling: Some(sampling),
        otlp: (!args.no_otlp).then(|| OtlpOptions {
            http: Some(args.otlp_http),
            grpc: Some(args.otlp_grpc),
            queue: QueueLimits {
                requests: args.otlp_queue,
                throttle_first: args.otlp_throttle_first,
                ..QueueLimits::default()
            },
        }),
        ..DaemonOptions::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(line: &[&str]) -> SourceArgs {
        let mut v = vec!["xray-tui"];
        v.extend_from_slice(line);
        super::super::Cli::parse_from(v).source
    }

    #[test]
    fn files_or_the_demo_are_not_aws() {
        assert!(!is_aws(&args(&["--demo"])));
        assert!(!is_aws(&args(&["--file", "a.json"])));
        assert!(is_aws(&args(&["--region", "eu-west-1"])));
        assert_eq!(
            files(&args(&["--demo", "--file", "-"])).label(),
            "demo, stdin"
        );
    }

    #[test]
    fn the_app_starts_aws_with_the_window_as_typed() {
        let l = launch(&args(&[
            "--region",
            "eu-west-1",
            "--since",
            "2h",
            "--follow",
        ]))
        .expect("launch");
        assert_eq!(l.window, "2h");
        assert!(l.follow);
        assert_eq!(l.region.as_deref(), Some("eu-west-1"));
        assert!(matches!(l.source, Options::Aws(_)));
        assert!(matches!(
            launch(&args(&["--region", "eu-west-1", "--since", "5y"])),
            Err(Failure::Usage(_))
        ));
    }

    fn listen(line: &[&str]) -> Result<DaemonOptions, String> {
        let mut v = vec!["xray-tui", "listen"];
        v.extend_from_slice(line);
        match super::super::Cli::try_parse_from(v)
            .map_err(|e| e.to_string())?
            .command
        {
            Some(super::super::args::Command::Listen(a)) => {
                daemon(&a).map_err(|e| format!("{e:?}"))
            }
            _ => Err("not listen".into()),
        }
    }

    #[test]
    fn the_parse_queue_holds_buffer_memory_as_the_x_ray_daemon_sizes_it() {
        let default = listen(&[]).expect("defaults").buffer_memory;
        assert_eq!(default, crate::source::daemon::default_buffer_memory());
        // 1% of the machine's memory: more than the 64 MiB it was, on any machine of 6.4 GB.
        assert!(default >= crate::source::daemon::MIN_BUFFER_MEMORY);
        assert_eq!(
            listen(&["-m", "512"]).expect("-m").buffer_memory,
            512_000_000
        );
        assert_eq!(
            listen(&["--buffer-memory", "3"])
                .expect("minimum")
                .buffer_memory,
            3_000_000
        );
        let err = listen(&["--buffer-memory", "2"]).expect_err("below the minimum");
        assert!(err.contains("--buffer-memory"), "{err}");
        // The queue holds that many bytes of batch buffers, at least one.
        let batches = crate::source::daemon::queue_batches(512_000_000);
        assert!((1500..=2000).contains(&batches), "{batches}");
        assert_eq!(
            crate::source::daemon::queue_batches(0),
            crate::source::daemon::queue_batches(3_000_000)
        );
        assert!(crate::source::daemon::queue_batches(3_000_000) >= 1);
    }
}
