//! The NATS trust model against a real `nats-server` started by each test on a free
//! loopback port: a subject prefix is naming, not isolation (a client on the same account
//! can read and answer calls); two accounts cannot see or answer each other; per-user
//! permissions keep a third user of one account out of a service's queue group and its
//! replies; TLS with a CA made in the test (mutual TLS, require-TLS); raw nkey seeds; and a
//! credentials file with JWTs signed in the test.

#[path = "nats/raw.rs"]
mod raw;
#[path = "nats/server.rs"]
mod server;

use actor_core::nats::{NatsError, Node, NodeConfig};
use actor_core::prelude::*;
use actor_core::wire::codec::{self, Head};
use actor_core::wire::frame::VERSION;
use crossbeam_channel::Sender as Channel;
use raw::{Hello, Raw, RawMsg};
use serde::{Deserialize, Serialize};
use server::{dead_url, NatsServer};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

/// Long enough never to expire on a healthy run; expiry means a bug, not a slow machine.
const WAIT: Duration = Duration::from_secs(30);

/// What a forger answers instead of the real square.
const FORGED: u64 = 666;

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = u64)]
struct Square(u64);

/// A node that serves `Square` as "svc"; the call for `1` waits until `open` is dropped,
/// so the test can act while the call is in flight.
fn serve_held_square(node: &Node) -> Channel<()> {
    let (open, held) = crossbeam_channel::bounded::<()>(0);
    node.function("svc", move |Square(n): Square| {
        if n == 1 {
            let _ = held.recv();
        }
        n * n
    })
    .expect("serving svc");
    open
}

fn user(server: &NatsServer, name: &str) -> NodeConfig {
    NodeConfig::new([server.url()]).user_password(name, name)
}

// ---------------------------------------------------------------------------------------
// A raw protocol client: it does exactly what a hostile client would, line by line.

/// A raw client logged in as `user` (password: the same), without echo of its own
/// publishes.
fn raw(server: &NatsServer, user: &str) -> Raw {
    let hello = Hello {
        user: Some(user),
        quiet: true,
        no_responders: true,
    };
    Raw::with(server, hello)
}

/// A well-formed reply to the call a spy saw, answering [`FORGED`]: what a forger
/// who can read requests sends.
fn forged_reply(request: &RawMsg) -> Vec<u8> {
    let (head, _) = codec::decode_packet(&request.payload[1..]).expect("a call packet");
    let Head::Call { xid, .. } = head else {
        panic!("expected a call, got {head:?}");
    };
    let mut packet = vec![VERSION];
    codec::encode(&Head::Reply { xid }, &mut packet).unwrap();
    codec::encode(&FORGED, &mut packet).unwrap();
    packet
}

/// Runs call `Square(1)` from `caller` (held by the server until `open` is dropped) in
/// the background, and waits until `spy`, subscribed to the service's subject, has seen
/// it: returns the spy's copy and the pending call.
fn call_seen_by(caller: &Node, spy: &mut Raw) -> (RawMsg, thread::JoinHandle<Result<u64, String>>) {
    let calling = caller.clone();
    let pending = thread::spawn(move || {
        calling
            .call("svc", Square(1), WAIT)
            .map_err(|e| e.to_string())
    });
    let request = spy.next_msg();
    assert!(request.reply.is_some(), "a call carries its reply subject");
    (request, pending)
}

// ---------------------------------------------------------------------------------------
// Prefixes, accounts and permissions

#[test]
fn on_one_open_account_a_prefix_is_only_naming_a_spy_reads_calls_and_a_forged_reply_wins() {
    // The threat the trust model answers: no accounts, no permissions.
    let server = NatsServer::start();
    let serving = NodeConfig::new([server.url()])
        .prefix("shop")
        .connect()
        .unwrap();
    let open = serve_held_square(&serving);
    let caller = NodeConfig::new([server.url()])
        .prefix("shop")
        .connect()
        .unwrap();
    let mut spy = raw(&server, "anyone");
    assert!(spy.subscribe("shop.actor.svc", None).is_empty());
    let (request, pending) = call_seen_by(&caller, &mut spy);
    let reply = request.reply.clone().unwrap();
    assert!(spy
        .publish(&reply, None, &forged_reply(&request))
        .is_empty());
    // The forged reply arrived first and was taken; the real one is dropped as late.
    assert_eq!(pending.join().unwrap(), Ok(FORGED));
    drop(open);
    // And a client on the account can join the queue group and take a share of calls.
    let mut thief = raw(&server, "anyone");
    assert!(thief.subscribe("shop.actor.svc", Some("svc")).is_empty());
}

const TWO_ACCOUNTS: &str = r#"
accounts {
  A: { users: [ { user: a, password: a }, { user: spy, password: spy } ] }
  B: { users: [ { user: b, password: b } ] }
}
"#;

#[test]
fn two_accounts_cannot_see_or_answer_each_others_calls() {
    let server = NatsServer::with_config(TWO_ACCOUNTS);
    let serving = user(&server, "a").connect().unwrap();
    let open = serve_held_square(&serving);
    let a_caller = user(&server, "a").connect().unwrap();

    // Account B: the same subjects, names and prefix, and nothing of A's.
    let b_node = user(&server, "b").connect().unwrap();
    let err = b_node.call("svc", Square(2), WAIT).unwrap_err();
    assert!(err.is_no_responders(), "{err}");
    b_node
        .function("svc", |Square(_): Square| FORGED)
        .expect("B serves its own svc");
    let mut b_raw = raw(&server, "b");
    assert!(b_raw.subscribe(">", None).is_empty());
    assert!(b_raw.subscribe("actors.actor.svc", Some("svc")).is_empty());

    // A spy inside A learns a call's reply subject; B forges a reply to it.
    let mut spy = raw(&server, "spy");
    assert!(spy.subscribe("actors.actor.svc", None).is_empty());
    let (request, pending) = call_seen_by(&a_caller, &mut spy);
    let reply = request.reply.clone().unwrap();
    assert!(b_raw
        .publish(&reply, None, &forged_reply(&request))
        .is_empty());
    drop(open);
    assert_eq!(pending.join().unwrap(), Ok(1), "A's caller got A's answer");

    // A's callers are served by A, never by B's `svc` nor B's queue member.
    for n in 2..=20 {
        assert_eq!(a_caller.call("svc", Square(n), WAIT).unwrap(), n * n);
    }
    // B saw none of A's calls or replies, on `>` or in the queue group.
    assert_eq!(b_raw.round_trip(), Vec::<String>::new());
    // B's own calls reach only B's own `svc` (its raw members leave first, in order).
    b_raw.send("UNSUB 1\r\nUNSUB 2\r\n");
    assert!(b_raw.round_trip().is_empty());
    assert_eq!(b_node.call("svc", Square(3), WAIT).unwrap(), FORGED);
}

/// One account, three users: `svc` may take calls on the service's subject and answer
/// them (`allow_responses`), nothing more; `caller` may call the service and read its own
/// inbox; `intruder` has only an inbox of its own. Each node also publishes to its own
/// inbox (the round trip that confirms a subscription), so each user may.
const PERMISSIONS: &str = r#"
authorization {
  users: [
    { user: svc, password: svc, permissions: {
        publish: ["_INBOX.svc.>"]
        subscribe: ["actors.actor.svc", "_INBOX.svc.>"]
        allow_responses: true
    } }
    { user: caller, password: caller, permissions: {
        publish: ["actors.actor.svc", "_INBOX.caller.>"]
        subscribe: ["_INBOX.caller.>"]
    } }
    { user: intruder, password: intruder, permissions: {
        publish: ["_INBOX.intruder.>"]
        subscribe: ["_INBOX.intruder.>"]
    } }
  ]
}
"#;

#[test]
fn per_user_permissions_keep_a_third_user_out_of_the_queue_group_and_the_replies() {
    let server = NatsServer::with_config(PERMISSIONS);
    let serving = user(&server, "svc")
        .inbox_prefix("_INBOX.svc")
        .connect()
        .unwrap();
    let open = serve_held_square(&serving);
    let caller = user(&server, "caller")
        .inbox_prefix("_INBOX.caller")
        .connect()
        .unwrap();

    let mut intruder = raw(&server, "intruder");
    let refused = intruder.subscribe("actors.actor.svc", Some("svc"));
    assert!(
        refused.len() == 1 && refused[0].contains("Permissions Violation for Subscription"),
        "{refused:?}"
    );
    let refused = intruder.subscribe(">", None);
    assert!(
        refused.len() == 1 && refused[0].contains("Permissions Violation"),
        "{refused:?}"
    );

    // The service's own user may watch its subject (it serves it); through it the test
    // learns a call's reply subject, which the intruder then tries to answer.
    let mut watcher = raw(&server, "svc");
    assert!(watcher.subscribe("actors.actor.svc", None).is_empty());
    let (request, pending) = call_seen_by(&caller, &mut watcher);
    let reply = request.reply.clone().unwrap();
    assert!(reply.starts_with("_INBOX.caller."), "{reply}");
    let refused = intruder.publish(&reply, None, &forged_reply(&request));
    assert!(
        refused.len() == 1 && refused[0].contains("Permissions Violation for Publish"),
        "{refused:?}"
    );
    // The serving user cannot answer outside a request's reply either: its publish
    // permission is `allow_responses` only.
    assert!(watcher.publish("actors.actor.svc", None, b"x")[0].contains("Permissions Violation"));
    drop(open);
    assert_eq!(pending.join().unwrap(), Ok(1));

    // An intruding node "serves" svc too: the server refuses its subscription, so every
    // call still reaches the real service.
    let intruding = user(&server, "intruder")
        .inbox_prefix("_INBOX.intruder")
        .connect()
        .unwrap();
    let err = intruding
        .function("svc", |Square(_): Square| FORGED)
        .unwrap_err();
    assert!(
        matches!(&err, NatsError::Forbidden { subject, reason }
            if subject == "actors.actor.svc" && reason.contains("Permissions Violation")),
        "{err}"
    );
    assert!(intruding.served().is_empty(), "{:?}", intruding.served());
    for n in 2..=20 {
        assert_eq!(caller.call("svc", Square(n), WAIT).unwrap(), n * n);
    }
    // The intruder cannot call the service either: the server drops its request, so
    // the call ends at its (short) timeout, as an error.
    assert!(intruding
        .call("svc", Square(2), Duration::from_secs(1))
        .is_err());
}

// ---------------------------------------------------------------------------------------
// Files made by the tests

/// A directory of its own under the system's temp dir, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "actor-nats-trust-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------------------
// TLS with a CA made here

/// A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate, all
/// signed by the CA, written as PEM files.
struct Pki {
    dir: Scratch,
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
    /// A key that is not the client certificate's.
    other_key: PathBuf,
}

fn pki() -> Pki {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let dir = Scratch::new();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "actor-core test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf = |names: Vec<String>, usage: ExtendedKeyUsagePurpose| {
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, "leaf");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let (server_cert, server_key) = leaf(
        vec!["127.0.0.1".into(), "localhost".into()],
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let (client_cert, client_key) = leaf(
        vec!["client.test".into()],
        ExtendedKeyUsagePurpose::ClientAuth,
    );
    Pki {
        ca: dir.write("ca.pem", &ca_cert.pem()),
        server_cert: dir.write("server.pem", &server_cert),
        server_key: dir.write("server-key.pem", &server_key),
        client_cert: dir.write("client.pem", &client_cert),
        client_key: dir.write("client-key.pem", &client_key),
        other_key: dir.write(
            "other-key.pem",
            &KeyPair::generate().unwrap().serialize_pem(),
        ),
        dir,
    }
}

/// A server that speaks only TLS with `pki`'s server certificate and, with `verify`,
/// admits only clients with a certificate signed by the CA.
fn tls_server(pki: &Pki, verify: bool) -> NatsServer {
    NatsServer::with_config(&format!(
        "tls {{\n  cert_file: {:?}\n  key_file: {:?}\n  ca_file: {:?}\n  verify: {verify}\n  timeout: 5\n}}\n",
        pki.server_cert, pki.server_key, pki.ca
    ))
}

fn tls_config(server: &NatsServer, pki: &Pki) -> NodeConfig {
    NodeConfig::new([server.url()])
        .ca_file(&pki.ca)
        .client_certificate(&pki.client_cert, &pki.client_key)
}

fn expect_connect_error(config: NodeConfig) -> String {
    match config.connect() {
        Err(err @ NatsError::Connect { .. }) => err.to_string(),
        Err(other) => panic!("expected a connect error, got {other:?}"),
        Ok(_) => panic!("expected a connect error, but the node connected"),
    }
}

#[test]
fn mutual_tls_with_the_ca_and_a_client_certificate_serves_and_calls() {
    let pki = pki();
    let server = tls_server(&pki, true);
    let serving = tls_config(&server, &pki).connect().unwrap();
    serving.function("svc", |Square(n): Square| n * n).unwrap();
    let calling = tls_config(&server, &pki).connect().unwrap();
    assert_eq!(calling.call("svc", Square(9), WAIT).unwrap(), 81);
    // The certificate and its key may share one file.
    let both = format!(
        "{}{}",
        fs::read_to_string(&pki.client_cert).unwrap(),
        fs::read_to_string(&pki.client_key).unwrap()
    );
    let both = pki.dir.write("client-both.pem", &both);
    let combined = NodeConfig::new([server.url()])
        .ca_file(&pki.ca)
        .client_certificate(&both, &both)
        .connect()
        .unwrap();
    assert_eq!(combined.call("svc", Square(8), WAIT).unwrap(), 64);
    assert!(format!("{:?}", NodeConfig::new(["x:1"]).ca_file(&pki.ca)).contains("ca.pem"));
}

#[test]
fn without_the_ca_the_servers_certificate_is_refused() {
    let pki = pki();
    let server = tls_server(&pki, false);
    // The system's trust store does not know the test's CA.
    let err = expect_connect_error(NodeConfig::new([server.url()]));
    assert!(err.contains("could not connect to NATS at"), "{err}");
    assert!(
        err.to_lowercase().contains("certificate") || err.contains("tls"),
        "{err}"
    );
    // With it, the same server is fine.
    let node = NodeConfig::new([server.url()])
        .ca_file(&pki.ca)
        .connect()
        .unwrap();
    node.function("svc", |Square(n): Square| n * n).unwrap();
    assert_eq!(node.call("svc", Square(4), WAIT).unwrap(), 16);
}

#[test]
fn a_server_that_verifies_clients_refuses_one_without_a_certificate() {
    let pki = pki();
    let server = tls_server(&pki, true);
    let err = expect_connect_error(NodeConfig::new([server.url()]).ca_file(&pki.ca));
    assert!(err.contains(&server.url()), "{err}");
}

#[test]
fn require_tls_against_a_plain_server_fails_clearly() {
    let server = NatsServer::start();
    let err = expect_connect_error(NodeConfig::new([server.url()]).require_tls(true));
    assert!(err.contains(&server.url()), "{err}");
    assert!(err.contains("this node requires TLS"), "{err}");
    // A CA file implies it: a node that was given one never talks in clear.
    let pki = pki();
    expect_connect_error(NodeConfig::new([server.url()]).ca_file(&pki.ca));
    // Without it the plain server is fine.
    let node = NodeConfig::new([server.url()])
        .require_tls(false)
        .connect()
        .unwrap();
    assert!(node.is_connected());
}

#[test]
fn bad_tls_files_are_refused_before_connecting() {
    let pki = pki();
    let url = dead_url();
    let trust = |config: NodeConfig| match config.connect() {
        Err(NatsError::Trust { what, reason }) => format!("{what}: {reason}"),
        other => panic!("expected a trust error, got {:?}", other.map(|_| "a node")),
    };
    let missing = pki.dir.0.join("missing.pem");
    let err = trust(NodeConfig::new([&url]).ca_file(&missing));
    assert!(
        err.starts_with("CA file `") && err.contains("cannot be read"),
        "{err}"
    );
    let err = trust(NodeConfig::new([&url]).ca_file(&pki.client_key));
    assert!(err.contains("no PEM certificate"), "{err}");
    let junk = pki
        .dir
        .write("junk.pem", "-----BEGIN CERTIFICATE-----\nnot base64!\n");
    let err = trust(NodeConfig::new([&url]).ca_file(&junk));
    assert!(err.starts_with("CA file `"), "{err}");
    let err = trust(NodeConfig::new([&url]).client_certificate(&pki.client_cert, &missing));
    assert!(
        err.starts_with("client key `") && err.contains("cannot be read"),
        "{err}"
    );
    let err = trust(NodeConfig::new([&url]).client_certificate(&pki.client_cert, &pki.ca));
    assert!(err.contains("no PEM private key"), "{err}");
    let err = trust(NodeConfig::new([&url]).client_certificate(&pki.client_cert, &pki.other_key));
    assert!(err.contains("cannot sign for the certificate"), "{err}");
    let err = trust(NodeConfig::new([&url]).client_certificate(&pki.client_key, &pki.client_key));
    assert!(err.starts_with("client certificate `"), "{err}");
}

// ---------------------------------------------------------------------------------------
// nkeys and credentials

#[test]
fn a_node_authenticates_with_a_raw_nkey_seed_and_a_wrong_one_is_refused() {
    let user = nkeys::KeyPair::new_user();
    let seed = user.seed().unwrap();
    let server = NatsServer::with_config(&format!(
        "authorization {{ users: [ {{ nkey: {} }} ] }}\n",
        user.public_key()
    ));
    let node = NodeConfig::new([server.url()])
        .nkey_seed(&seed)
        .connect()
        .unwrap();
    node.function("svc", |Square(n): Square| n * n).unwrap();
    assert_eq!(node.call("svc", Square(5), WAIT).unwrap(), 25);
    let config = NodeConfig::new([server.url()]).nkey_seed(&seed);
    assert!(
        !format!("{config:?}").contains(&seed),
        "Debug shows no seed"
    );

    // Another user's seed: well formed, unknown to the server.
    let stranger = nkeys::KeyPair::new_user().seed().unwrap();
    let err = expect_connect_error(NodeConfig::new([server.url()]).nkey_seed(&stranger));
    assert!(err.to_lowercase().contains("authorization"), "{err}");

    // Not a seed at all, or another kind of key's: refused before connecting, the
    // seed never quoted.
    let mangled = format!("{}X", &seed[..seed.len() - 1]);
    for bad in [mangled, nkeys::KeyPair::new_account().seed().unwrap()] {
        match NodeConfig::new([server.url()]).nkey_seed(&bad).connect() {
            Err(err @ NatsError::Trust { .. }) => {
                let text = err.to_string();
                assert!(
                    text.starts_with("the node's nkey seed cannot be used"),
                    "{text}"
                );
                assert!(!text.contains(&bad), "{text}");
            }
            other => panic!("expected a trust error, got {:?}", other.map(|_| "a node")),
        }
    }
}

/// Base64url without padding, as JWTs use.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// A NATS JWT: `claims` about `subject`, issued and signed by `issuer`.
fn jwt(issuer: &nkeys::KeyPair, subject: &str, name: &str, nats: &str) -> String {
    let header = base64url(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let claims = format!(
        r#"{{"jti":"{}","iat":1700000000,"iss":"{}","name":"{name}","sub":"{subject}","nats":{nats}}}"#,
        name.to_uppercase(),
        issuer.public_key(),
    );
    let signed = format!("{header}.{}", base64url(claims.as_bytes()));
    let signature = issuer.sign(signed.as_bytes()).unwrap();
    format!("{signed}.{}", base64url(&signature))
}

/// An operator, one account it signed, and a user the account signed: the server's
/// configuration (operator mode, accounts preloaded in memory) and the user's
/// credentials file text.
fn operator_setup() -> (String, String) {
    let operator = nkeys::KeyPair::new_operator();
    let account = nkeys::KeyPair::new_account();
    let user = nkeys::KeyPair::new_user();
    let operator_jwt = jwt(
        &operator,
        &operator.public_key(),
        "op",
        r#"{"type":"operator","version":2}"#,
    );
    let account_jwt = jwt(
        &operator,
        &account.public_key(),
        "acc",
        r#"{"limits":{"subs":-1,"data":-1,"payload":-1,"imports":-1,"exports":-1,"wildcards":true,"conn":-1,"leaf":-1},"default_permissions":{"pub":{},"sub":{}},"type":"account","version":2}"#,
    );
    let user_jwt = jwt(
        &account,
        &user.public_key(),
        "user",
        r#"{"pub":{},"sub":{},"subs":-1,"data":-1,"payload":-1,"type":"user","version":2}"#,
    );
    let config = format!(
        "operator: {operator_jwt}\nresolver: MEMORY\nresolver_preload: {{\n  {}: {account_jwt}\n}}\n",
        account.public_key()
    );
    let creds = format!(
        "-----BEGIN NATS USER JWT-----\n{user_jwt}\n------END NATS USER JWT------\n\n\
         ************************* IMPORTANT *************************\n\
         NKEY Seed printed below can be used to sign and prove identity.\n\n\
         -----BEGIN USER NKEY SEED-----\n{}\n------END USER NKEY SEED------\n",
        user.seed().unwrap()
    );
    (config, creds)
}

#[test]
fn a_node_authenticates_with_a_credentials_file_and_bad_ones_are_refused() {
    let (config, creds) = operator_setup();
    let server = NatsServer::with_config(&config);
    let dir = Scratch::new();
    let path = dir.write("user.creds", &creds);
    let node = NodeConfig::new([server.url()])
        .credentials_file(&path)
        .connect()
        .unwrap_or_else(|e| panic!("{e}; server log:\n{}", server.log()));
    node.function("svc", |Square(n): Square| n * n).unwrap();
    assert_eq!(node.call("svc", Square(6), WAIT).unwrap(), 36);

    // No credentials: the operator's server lets no one in.
    expect_connect_error(NodeConfig::new([server.url()]));
    // A user of an account the operator never signed.
    let (_, strangers) = operator_setup();
    let stranger = dir.write("stranger.creds", &strangers);
    let err = expect_connect_error(NodeConfig::new([server.url()]).credentials_file(&stranger));
    assert!(err.to_lowercase().contains("authorization"), "{err}");
    // Missing or malformed files: clear errors, before anything is sent.
    for bad in [dir.0.join("missing.creds"), dir.write("junk.creds", "junk")] {
        match NodeConfig::new([server.url()])
            .credentials_file(&bad)
            .connect()
        {
            Err(NatsError::Invalid {
                what: "credentials file",
                value,
                ..
            }) => assert_eq!(Path::new(&value), bad),
            other => panic!(
                "expected a credentials error, got {:?}",
                other.map(|_| "a node")
            ),
        }
    }
}
