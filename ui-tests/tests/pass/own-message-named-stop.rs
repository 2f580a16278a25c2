//! A message type of the user's own named `Stop` is handled when named by a path, which
//! tells it apart from `actor_core::Stop` (which every actor already handles).

mod control {
    #[derive(actor_core::Message)]
    #[message(reply = &'static str)]
    pub struct Stop;
}

struct Machine;

#[actor_core::actor]
impl Machine {
    #[actor_core::handles(control::Stop)]
    fn on_stop_request(&mut self, _: control::Stop) -> &'static str {
        "halting"
    }
}

fn main() {
    use actor_core::Actor as _;
    let machine = Machine.spawn();
    let bridge = actor_core::Bridge::new();
    let timeout = std::time::Duration::from_secs(5);
    assert_eq!(
        bridge.call(&machine, control::Stop, timeout).unwrap(),
        "halting"
    );
    assert_eq!(
        bridge.call(&machine, actor_core::Stop, timeout).unwrap(),
        actor_core::Stopped
    );
}
