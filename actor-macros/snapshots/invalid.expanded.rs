// The expansion of invalid; rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p actor-macros`.

impl Broken {
    fn on_ping(&mut self, ping: &Ping) {}
    async fn on_ping_again(&mut self, ping: Ping) {}
}
const _: () = {
    #[doc(hidden)]
    #[allow(private_interfaces, private_bounds, non_camel_case_types)]
    pub enum __ActorDispatch {}
    type __Self = Broken;
    #[automatically_derived]
    impl ::actor_core::__private::Actor for __Self {
        const NAME: &'static str = "Broken";
        const HANDLES: &'static [&'static str] = &[];
        const __CATCH_ALL: bool = false;
        type Dispatch = __ActorDispatch;
        fn __dispatch(
            &mut self,
            __msg: __ActorDispatch,
            _: &mut ::actor_core::__private::Context<Self>,
        ) {
            match __msg {}
        }
        fn __from_dyn(
            __msg: ::actor_core::__private::DynMessage,
            _: &mut ::actor_core::__private::Sender,
        ) -> ::core::result::Result<
            __ActorDispatch,
            ::actor_core::__private::DynMessage,
        > {
            ::core::result::Result::Err(__msg)
        }
        fn __into_dyn(__msg: __ActorDispatch) -> ::actor_core::__private::DynMessage {
            match __msg {}
        }
    }
    #[automatically_derived]
    impl ::actor_core::__private::Handler<Ping> for __Self {
        fn __pack(
            _: Ping,
            _: ::actor_core::__private::ReplyTo<
                <Ping as ::actor_core::__private::Message>::Reply,
            >,
            _: ::actor_core::__private::Sender,
        ) -> ::actor_core::__private::Mail<Self> {
            ::actor_core::__private::__mismatched_mail()
        }
        fn __unpack(_: ::actor_core::__private::Mail<Self>) -> Ping {
            ::actor_core::__private::__mismatched_mail()
        }
    }
    #[allow(unused_imports)]
    mod __actor_helpers {
        use super::*;
        use ::actor_core::prelude::*;
        #[handles(__consumed_by_actor)]
        const _: () = ();
    }
};
::core::compile_error! {
    "a handler takes the message by value: write `ping: Ping`"
}
::core::compile_error! {
    "a handler runs on the actor's thread and cannot be `async`: remove `async`"
}
::core::compile_error! {
    "`Ping` is handled twice: each message type has one handler; remove this `#[handles(Ping)]` from `on_ping_again` or merge it with the first"
}
::core::compile_error! {
    "the first handler of `Ping` is here"
}
