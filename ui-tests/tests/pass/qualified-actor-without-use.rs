//! `#[actor_core::actor]` with nothing imported at all: its helper attributes are written
//! bare, and the block's other names by path.

#![deny(warnings)]

#[derive(actor_core::Message)]
#[message(reply = u64)]
struct Count;

#[derive(actor_core::Message)]
struct Bump;

#[derive(Default)]
struct Counter {
    count: u64,
}

#[actor_core::actor]
impl Counter {
    #[on_start]
    fn started(&mut self, ctx: &mut actor_core::Context<Self>) {
        assert_eq!(ctx.info().name, "Counter");
        self.count = 10;
    }

    #[handles(Bump)]
    fn on_bump(&mut self, _: Bump) {
        self.count += 1;
    }

    #[handles(Count)]
    fn on_count(&self, _: Count) -> u64 {
        self.count
    }

    #[on_stop]
    fn stopped(&self) {}
}

fn main() {
    use actor_core::Actor as _;
    let counter = Counter::default().spawn();
    counter.tell(Bump).unwrap();
    let bridge = actor_core::Bridge::new();
    let count = bridge.call(&counter, Count, std::time::Duration::from_secs(5));
    assert_eq!(count.unwrap(), 11);
}
