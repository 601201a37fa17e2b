//! The benchmark baseline of issue 8: an empty milter on indymilter, alone. Every callback
//! returns Continue and end of message adds one header, so Postfix does its full milter work
//! while the milter decides nothing. Only the stages given are registered (indymilter
//! negotiates the rest off, as mxgate does), so it can run the same stage set as an mxgate
//! configuration. It requests the macros mxgate requests, so Postfix's side is the same too.
//!
//!   cargo run --release --example empty_milter -- unix:/path/to.sock [STAGES [NOREPLY]]
//!
//! STAGES: comma-separated among connect, helo, mail, rcpt, data, header, eoh, body, eom
//! (default: all). NOREPLY: stages among connect, helo, mail, header, eoh, body negotiated
//! without a reply (when the MTA offers it), as mxgate does where nothing can decide. Unix sockets only: the inet figures of the bench are mxgate's own.
//! Runs on a current-thread runtime, like mxgate's default, until SIGTERM or SIGINT.

use indymilter::{
    Actions, Callbacks, ContextActions, MacroStage, NegotiateContext, ProtoOpts, Status,
};
use std::process::ExitCode;
use tokio::net::UnixListener;
use tokio::signal::unix::{signal, SignalKind};

const STAGES: [&str; 9] = [
    "connect", "helo", "mail", "rcpt", "data", "header", "eoh", "body", "eom",
];

/// NOREPLY options a stage can be negotiated with (what mxgate may ask for).
const NOREPLY: [(&str, ProtoOpts); 6] = [
    ("connect", ProtoOpts::NOREPLY_CONNECT),
    ("helo", ProtoOpts::NOREPLY_HELO),
    ("mail", ProtoOpts::NOREPLY_MAIL),
    ("header", ProtoOpts::NOREPLY_HEADER),
    ("eoh", ProtoOpts::NOREPLY_EOH),
    ("body", ProtoOpts::NOREPLY_BODY),
];

/// Continue, or no reply at all where that was negotiated for the stage.
fn answer(negotiated: &Option<ProtoOpts>, flag: ProtoOpts) -> Status {
    if negotiated.is_some_and(|nr| nr.contains(flag)) {
        Status::Noreply
    } else {
        Status::Continue
    }
}

fn callbacks(stages: &[String], noreply: ProtoOpts) -> Callbacks<ProtoOpts> {
    let on = |s: &str| stages.iter().any(|x| x == s);
    let mut cb =
        Callbacks::new().on_negotiate(move |cx: &mut NegotiateContext<ProtoOpts>, _, offered| {
            Box::pin(async move {
                cx.requested_actions = Actions::ADD_HEADER;
                // mxgate's macro requests (src/milter.rs), so Postfix sends both milters the same
                // traffic and the difference measured is mxgate's own work.
                for (stage, list) in [
                    (MacroStage::Connect, c"j {daemon_name} {client_ptr}"),
                    (MacroStage::Mail, c"i {auth_authen} {auth_type}"),
                    (MacroStage::Rcpt, c"i"),
                    (MacroStage::Eom, c"i"),
                ] {
                    cx.requested_macros.insert(stage, list.into());
                }
                let nr = noreply & offered;
                cx.requested_opts |= nr;
                cx.data = Some(nr);
                Status::Continue
            })
        });
    if on("connect") {
        cb = cb.on_connect(|cx, _, _| {
            Box::pin(async move { answer(&cx.data, ProtoOpts::NOREPLY_CONNECT) })
        });
    }
    if on("helo") {
        cb = cb.on_helo(|cx, _| Box::pin(async move { answer(&cx.data, ProtoOpts::NOREPLY_HELO) }));
    }
    if on("mail") {
        cb = cb.on_mail(|cx, _| Box::pin(async move { answer(&cx.data, ProtoOpts::NOREPLY_MAIL) }));
    }
    if on("rcpt") {
        cb = cb.on_rcpt(|_, _| Box::pin(async { Status::Continue }));
    }
    if on("data") {
        cb = cb.on_data(|_| Box::pin(async { Status::Continue }));
    }
    if on("header") {
        cb = cb.on_header(|cx, _, _| {
            Box::pin(async move { answer(&cx.data, ProtoOpts::NOREPLY_HEADER) })
        });
    }
    if on("eoh") {
        cb = cb.on_eoh(|cx| Box::pin(async move { answer(&cx.data, ProtoOpts::NOREPLY_EOH) }));
    }
    if on("body") {
        cb = cb.on_body(|cx, _| Box::pin(async move { answer(&cx.data, ProtoOpts::NOREPLY_BODY) }));
    }
    if on("eom") {
        cb = cb.on_eom(|cx| {
            Box::pin(async move {
                if let Err(e) = cx.actions.add_header("X-Empty-Milter", "yes").await {
                    eprintln!("empty_milter: add_header failed: {e}");
                }
                Status::Continue
            })
        });
    }
    cb
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first().and_then(|s| s.strip_prefix("unix:")) else {
        eprintln!(
            "usage: empty_milter unix:/path/to.sock [STAGES]  (STAGES: {})",
            STAGES.join(",")
        );
        return ExitCode::from(2);
    };
    let stages: Vec<String> = match args.get(1) {
        Some(list) => list.split(',').map(|s| s.trim().to_string()).collect(),
        None => STAGES.iter().map(|s| s.to_string()).collect(),
    };
    let mut noreply = ProtoOpts::empty();
    for name in args
        .get(2)
        .map(|l| l.split(',').map(str::trim).collect::<Vec<_>>())
        .unwrap_or_default()
    {
        match NOREPLY.iter().find(|(n, _)| *n == name) {
            Some((_, flag)) => noreply |= *flag,
            None => {
                let known: Vec<&str> = NOREPLY.iter().map(|(n, _)| *n).collect();
                eprintln!(
                    "empty_milter: no NOREPLY for stage {name:?} (known: {})",
                    known.join(",")
                );
                return ExitCode::from(2);
            }
        }
    }
    if let Some(bad) = stages.iter().find(|s| !STAGES.contains(&s.as_str())) {
        eprintln!(
            "empty_milter: unknown stage {bad:?} (known: {})",
            STAGES.join(",")
        );
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("empty_milter: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let _ = std::fs::remove_file(path);
        let listener = match UnixListener::bind(path) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("empty_milter: cannot listen on {path}: {e}");
                return ExitCode::FAILURE;
            }
        };
        // Postfix's smtpd runs as user postfix; the bench's directory is private anyway.
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666));
        let (mut term, mut int) = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(t), Ok(i)) => (t, i),
            _ => {
                eprintln!("empty_milter: cannot install signal handlers");
                return ExitCode::FAILURE;
            }
        };
        let stop = async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        };
        let config = indymilter::Config {
            max_connections: 2000,
            ..Default::default()
        };
        let result = indymilter::run(listener, callbacks(&stages, noreply), config, stop).await;
        let _ = std::fs::remove_file(path);
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("empty_milter: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
