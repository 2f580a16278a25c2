//! Seven hundred callers at once over one TCP connection: a DeMux listening on a loopback
//! port, one `Mux` over one connection to it, 700 threads released together by a
//! `Barrier`, each making calls that carry its own number; every reply goes back to the
//! thread that made its call, and none is lost or answered twice.

use actor_core::prelude::*;
use actor_core::wire::{Config, DeMux, Limits, Mux, Transport, Workers};
use serde::{Deserialize, Serialize};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

/// Long enough never to expire on a healthy run; expiry means a bug, not a slow machine.
const WAIT: Duration = Duration::from_secs(60);

/// A call from thread `caller`, its `seq`th; the reply echoes both and a result.
#[derive(Message, Serialize, Deserialize, Debug)]
#[message(reply = Echo)]
struct Ask {
    caller: u64,
    seq: u64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
struct Echo {
    caller: u64,
    seq: u64,
    square: u64,
}

#[test]
fn seven_hundred_concurrent_callers_over_one_tcp_mux_each_get_their_own_replies() {
    const CALLERS: u64 = 700;
    const CALLS: u64 = 4; // per caller
                          // The defaults carry this load: at most 700 calls of the one connection are
                          // unanswered at once (`max_pending`, 1,024 by default) and queued for the pool
                          // (`max_queued`, 4,096). Nothing needs raising; the test says so, so that a smaller
                          // default fails here rather than as refused calls.
    let limits = Limits::default();
    assert!(limits.max_pending >= CALLERS as usize, "{limits:?}");
    assert!(limits.max_queued >= CALLERS as usize, "{limits:?}");
    let demux = DeMux::with_limits(Workers::Pool(8), Config::default(), limits).unwrap();
    let handled = Arc::new(AtomicUsize::new(0));
    let counter = handled.clone();
    demux.function("echo", move |Ask { caller, seq }: Ask| {
        counter.fetch_add(1, Ordering::Relaxed);
        let n = caller * CALLS + seq;
        Echo {
            caller,
            seq,
            square: n * n,
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let _listening = demux.listen(listener).unwrap();
    let mux = Mux::new(Transport::connect_tcp(addr).unwrap()).unwrap();

    let start = Arc::new(Barrier::new(CALLERS as usize));
    let callers: Vec<_> = (0..CALLERS)
        .map(|caller| {
            let (mux, start) = (mux.clone(), start.clone());
            // Small stacks: 700 threads of the default 2 MiB would reserve 1.4 GB.
            thread::Builder::new()
                .name(format!("caller-{caller}"))
                .stack_size(256 * 1024)
                .spawn(move || {
                    start.wait();
                    (0..CALLS)
                        .map(|seq| mux.call("echo", Ask { caller, seq }, WAIT).unwrap())
                        .collect::<Vec<_>>()
                })
                .unwrap()
        })
        .collect();
    for (caller, thread) in callers.into_iter().enumerate() {
        let caller = caller as u64;
        let replies = thread.join().unwrap();
        let expected: Vec<Echo> = (0..CALLS)
            .map(|seq| {
                let n = caller * CALLS + seq;
                Echo {
                    caller,
                    seq,
                    square: n * n,
                }
            })
            .collect();
        assert_eq!(replies, expected, "caller {caller} got another's replies");
    }
    assert_eq!(
        handled.load(Ordering::Relaxed),
        (CALLERS * CALLS) as usize,
        "each call handled once"
    );
    assert_eq!(mux.pending(), 0);
    assert!(mux.anomalies().is_empty(), "{:?}", mux.anomalies());
    assert!(demux.anomalies().is_empty(), "{:?}", demux.anomalies());
    assert_eq!(demux.load().refused_requests, 0);
}
