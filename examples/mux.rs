//! The seed `001` demo: many threads' transactions over one wire, served in parallel by a
//! pool of workers in another process, results and errors carried back to the right
//! caller.
//!
//! The parent starts a child (this same program, run with the argument `serve`), which
//! serves a DeMux with 100 workers on its stdin and stdout. 700 threads in the parent then
//! each make three transactions that nap on the far side, one that fails there, and a
//! tell to a remote warehouse actor, all at once through one Mux.
//!
//! ```sh
//! cargo run --example mux --features wire
//! ```
//!
//! Prints (the child's lines, its panic report among them, go to stderr: its stdout is
//! the wire):
//! ```text
//! started 700 submission threads
//! 2100 transactions answered, each by its own caller's reply
//! 700 errors carried back, such as: cannot nap for -1 ms
//! the warehouse got 700 products over the wire, summing to 244650
//! a panic carried back: `sleeper` panicked while handling `mux::Crash`: the sleeper fell out of bed
//! a timeout as asked: `sleeper` did not answer the `mux::Nap` within 100ms
//! after close: the connection to child process 12345 is closed: the Mux was closed
//! [child] 2801 naps served on 100 workers; the input ended, bye
//! Bye.
//! ```

use actor_core::prelude::*;
use actor_core::wire::{DeMux, Mux, Transport, Workers};
use serde::{Deserialize, Serialize};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const SUBMITTERS: usize = 700;
const WAIT: Duration = Duration::from_secs(60);

/// The seed's transaction: nap on the far side, then answer with `after`. A negative
/// nap fails there, and the error comes back.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = Result<String, String>)]
struct Nap {
    before: String,
    millis: i64,
    after: String,
}

/// Makes the sleeper panic.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = ())]
struct Crash;

#[derive(Message, Serialize, Deserialize)]
struct Product(i64);

#[derive(Message, Serialize, Deserialize)]
#[message(reply = Vec<i64>)]
struct GetInventory;

#[derive(Default)]
struct Warehouse {
    inventory: Vec<i64>,
}

#[actor]
impl Warehouse {
    #[handles(GetInventory)]
    fn on_get(&mut self, _: GetInventory) -> Vec<i64> {
        self.inventory.clone()
    }

    #[handles(Product)]
    fn on_product(&mut self, p: Product) {
        self.inventory.push(p.0)
    }
}

/// The child: serves until its stdin ends. Nothing but the DeMux may write to stdout.
fn serve() -> Result<(), BoxError> {
    let served = Arc::new(AtomicUsize::new(0));
    let demux = DeMux::new(Workers::Pool(100))?;
    let count = served.clone();
    demux
        .function("sleeper", move |nap: Nap| {
            count.fetch_add(1, Ordering::Relaxed);
            let millis = u64::try_from(nap.millis)
                .map_err(|_| format!("cannot nap for {} ms", nap.millis))?;
            thread::sleep(Duration::from_millis(millis));
            Ok(format!("{} .. {}", nap.before, nap.after))
        })
        .function("sleeper", |_: Crash| panic!("the sleeper fell out of bed"));
    demux
        .expose("warehouse", &Warehouse::default().spawn())
        .handle::<Product>()
        .handle::<GetInventory>();
    let outcome = demux.serve(Transport::stdio())?.join();
    eprintln!(
        "[child] {} naps served on 100 workers; the input ended, bye",
        served.load(Ordering::Relaxed)
    );
    Ok(outcome?)
}

fn main() -> Result<(), BoxError> {
    if std::env::args().nth(1).as_deref() == Some("serve") {
        return serve();
    }
    // The child panics once on purpose: keep its report to one line.
    let (transport, mut child) = Transport::spawn(
        Command::new(std::env::current_exe()?)
            .arg("serve")
            .env("RUST_BACKTRACE", "0"),
    )?;
    let mux = Mux::new(transport)?;
    let warehouse = mux.remote::<Warehouse>("warehouse");

    let submitters: Vec<_> = (0..SUBMITTERS)
        .map(|i| {
            let (mux, warehouse) = (mux.clone(), warehouse.clone());
            thread::spawn(move || {
                let nap = |before: &str, millis, after: &str| Nap {
                    before: format!("{before} #{i}"),
                    millis,
                    after: after.to_owned(),
                };
                let mut answered = 0;
                for (before, millis, after) in [
                    ("msg1", 30, "msg2"),
                    ("msg3", 20, "msg4"),
                    ("msg5", 10, "msg6"),
                ] {
                    let answer = mux.call("sleeper", nap(before, millis, after), WAIT)?;
                    assert_eq!(answer, Ok(format!("{before} #{i} .. {after}")));
                    answered += 1;
                }
                let error = mux.call("sleeper", nap("msgE", -1, "msgEE"), WAIT)?;
                warehouse.tell(Product(i as i64))?;
                Ok::<_, BoxError>((answered, error))
            })
        })
        .collect();
    println!("started {} submission threads", submitters.len());

    let (mut answered, mut errors) = (0, Vec::new());
    for submitter in submitters {
        let (n, error) = submitter.join().expect("a submitter panicked")?;
        answered += n;
        errors.extend(error.err());
    }
    println!("{answered} transactions answered, each by its own caller's reply");
    println!(
        "{} errors carried back, such as: {}",
        errors.len(),
        errors.first().map_or("none", String::as_str)
    );

    let inventory = warehouse.call(GetInventory, WAIT)?;
    println!(
        "the warehouse got {} products over the wire, summing to {}",
        inventory.len(),
        inventory.iter().sum::<i64>()
    );
    match mux.call("sleeper", Crash, WAIT) {
        Err(e) => println!("a panic carried back: {e}"),
        Ok(()) => println!("the sleeper did not panic?"),
    }
    let slow = Nap {
        before: "slow".into(),
        millis: 2000,
        after: "late".into(),
    };
    match mux.call("sleeper", slow, Duration::from_millis(100)) {
        Err(e) => println!("a timeout as asked: {e}"),
        Ok(answer) => println!("no timeout? {answer:?}"),
    }

    mux.close(); // closes the child's stdin: it sees the end of its input and exits
    match mux.call("sleeper", Crash, WAIT) {
        Err(e) => println!("after close: {e}"),
        Ok(()) => println!("a call after close went through?"),
    }
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("the child failed: {status}").into());
    }
    println!("Bye.");
    Ok(())
}
