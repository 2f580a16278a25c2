//! The seed `003` listener: messages carry their source; each source has its own handler,
//! and sources without one go to a default handler. A handler's error is logged and the
//! listener goes on. `Stop` ends it, after every message sent before.
//!
//! Logging goes through the `log` facade; this example installs a tiny logger that prints
//! to standard output.

use actor_core::prelude::*;
use std::collections::HashMap;
use std::time::Duration;

/// The seed's `Message(source, cmd, data)`.
#[derive(Message)]
struct Note {
    source: &'static str,
    cmd: &'static str,
    data: i64,
}

type HandlerFn = Box<dyn FnMut(&Note) -> Result<(), String> + Send>;

/// Handle `source`'s notes with `handler`; replaces an existing one only if `overwrite`.
#[derive(Message)]
#[message(reply = bool)]
struct Register {
    source: &'static str,
    handler: HandlerFn,
    overwrite: bool,
}

/// How many notes were handled, and how many handlers failed.
#[derive(Message)]
#[message(reply = (usize, usize))]
struct Tally;

struct Listener {
    handlers: HashMap<&'static str, HandlerFn>,
    default: HandlerFn,
    handled: usize,
    failed: usize,
}

#[actor]
impl Listener {
    #[handles(Note)]
    fn on_note(&mut self, note: Note) {
        log::debug!("note from {}: {} {}", note.source, note.cmd, note.data);
        let handler = self
            .handlers
            .get_mut(note.source)
            .unwrap_or(&mut self.default);
        self.handled += 1;
        if let Err(e) = handler(&note) {
            // Logged and survived, as the seed's `except Exception`.
            log::error!("handling `{}` from {} failed: {e}", note.cmd, note.source);
            self.failed += 1;
        }
    }

    #[handles(Register)]
    fn on_register(&mut self, register: Register) -> bool {
        if register.overwrite || !self.handlers.contains_key(register.source) {
            log::info!("handler registered for {}", register.source);
            self.handlers.insert(register.source, register.handler);
            true
        } else {
            log::warn!("a handler for {} exists already", register.source);
            false
        }
    }

    #[handles(Tally)]
    fn on_tally(&self, _: Tally) -> (usize, usize) {
        (self.handled, self.failed)
    }

    #[on_stop]
    fn stopped(&mut self) {
        log::info!("received STOP after {} notes", self.handled);
    }
}

fn main() -> Result<(), actor_core::Error> {
    log::set_logger(&PRINTER).expect("the only logger");
    log::set_max_level(log::LevelFilter::Info);

    let listener = Listener {
        handlers: HashMap::new(),
        default: Box::new(|note| {
            log::warn!("no handler for {}; `{}` ignored", note.source, note.cmd);
            Ok(())
        }),
        handled: 0,
        failed: 0,
    }
    .spawn();
    let bridge = Bridge::new();
    let wait = Duration::from_secs(5);

    let mut total = 0;
    let accountant: HandlerFn = Box::new(move |note| {
        total += note.data;
        log::info!("accountant: {} {} -> total {total}", note.cmd, note.data);
        Ok(())
    });
    let strict: HandlerFn = Box::new(|note| match note.cmd {
        "ping" => Ok(()),
        other => Err(format!("unknown command `{other}`")),
    });
    bridge.call(
        &listener,
        Register {
            source: "accounts",
            handler: accountant,
            overwrite: false,
        },
        wait,
    )?;
    bridge.call(
        &listener,
        Register {
            source: "monitor",
            handler: strict,
            overwrite: false,
        },
        wait,
    )?;
    let again: HandlerFn = Box::new(|_| Ok(()));
    let replaced = bridge.call(
        &listener,
        Register {
            source: "monitor",
            handler: again,
            overwrite: false,
        },
        wait,
    )?;
    println!("second handler for monitor registered: {replaced}");

    for note in [
        Note {
            source: "accounts",
            cmd: "deposit",
            data: 100,
        },
        Note {
            source: "monitor",
            cmd: "ping",
            data: 0,
        },
        Note {
            source: "monitor",
            cmd: "reboot",
            data: 0,
        }, // fails: logged, survived
        Note {
            source: "accounts",
            cmd: "withdraw",
            data: -30,
        },
        Note {
            source: "stranger",
            cmd: "hello",
            data: 0,
        }, // default handler
    ] {
        listener.tell(note)?;
    }
    let (handled, failed) = bridge.call(&listener, Tally, wait)?;
    println!("handled {handled} notes, {failed} failed");
    println!("{:?}", bridge.stop(&[listener.any()], wait));
    Ok(())
}

/// Prints `LEVEL message` lines to standard output.
struct Printer;

static PRINTER: Printer = Printer;

impl log::Log for Printer {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            println!("{:<5} {}", record.level(), record.args());
        }
    }

    fn flush(&self) {}
}
