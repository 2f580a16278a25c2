//! The raw half of `benches/nats.rs` and `examples/nats_count.rs` (which include this
//! file by path): `async-nats` request/reply by hand, the yardstick of `Node::call`.
#![allow(dead_code)] // each includer takes a different part

use futures::StreamExt;
use tokio::runtime::Runtime;

use super::PAYLOAD;

/// The subject of the raw responder.
pub const RAW: &str = "raw.echo";

/// Connects, on `runtime`, a responder subscribed to [`RAW`] that publishes each
/// request's payload to its reply subject (a task of the runtime), and a requester:
/// `(requester, responder)`, the responder's subscription already at the server.
pub fn start(runtime: &Runtime, url: &str) -> (async_nats::Client, async_nats::Client) {
    runtime.block_on(async {
        let responder = async_nats::connect(url).await.expect("raw responder");
        let mut requests = responder.subscribe(RAW).await.expect("subscribing");
        let replies = responder.clone();
        tokio::spawn(async move {
            while let Some(request) = requests.next().await {
                let to = request.reply.expect("a request has a reply subject");
                replies
                    .publish(to, request.payload)
                    .await
                    .expect("publishing a raw reply");
            }
        });
        responder
            .flush()
            .await
            .expect("the subscription reaches the server");
        let requester = async_nats::connect(url).await.expect("raw requester");
        (requester, responder)
    })
}

/// One raw request from inside the runtime, its reply checked.
pub async fn request(client: &async_nats::Client, request: &[u8]) {
    let reply = client
        .request(RAW, bytes::Bytes::copy_from_slice(request))
        .await
        .unwrap_or_else(|e| panic!("a raw request failed: {e}"));
    assert_eq!(reply.payload.len(), PAYLOAD);
}

/// One raw request from a plain thread, as a blocking user makes it.
pub fn call(runtime: &Runtime, client: &async_nats::Client, request: &[u8]) {
    runtime.block_on(self::request(client, request));
}
