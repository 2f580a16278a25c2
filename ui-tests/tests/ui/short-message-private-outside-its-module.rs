mod counter {
    use actor_core::prelude::*;

    pub struct Counter;

    #[actor]
    impl Counter {
        // A private method: its message type is private to this module.
        #[message]
        fn reset(&mut self) {}
    }
}

fn main() {
    let _ = counter::Reset;
}
