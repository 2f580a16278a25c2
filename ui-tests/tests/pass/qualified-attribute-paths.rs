//! The macros work by full path, with nothing imported.

#[derive(actor_core::Message)]
struct Ping;

struct Pinger;

#[actor_core::actor]
impl Pinger {
    #[actor_core::handles(Ping)]
    fn on_ping(&mut self, _: Ping) {}

    #[actor_core::on_start]
    fn started(&mut self) {}

    #[actor_core::on_stop]
    fn stopped(&mut self) {}
}

fn main() {
    use actor_core::Actor as _;
    let pinger = Pinger.spawn();
    pinger.tell(Ping).unwrap();
    let bridge = actor_core::Bridge::new();
    let reply = bridge.call(&pinger, actor_core::Stop, std::time::Duration::from_secs(5));
    assert_eq!(reply.unwrap(), actor_core::Stopped);
}
