// The expansion of watcher; rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p actor-macros`.

impl Watcher {
    fn started(&mut self, ctx: &mut Context<Self>) {}
    fn on_known(&mut self, _: Known) {}
    fn on_other(&mut self, msg: DynMessage) {}
    fn stopped(&self) {}
}
const _: () = {
    #[doc(hidden)]
    #[allow(private_interfaces, private_bounds, non_camel_case_types)]
    pub enum __ActorDispatch {
        __M0(
            Known,
            ::actor_core::__private::ReplyTo<
                <Known as ::actor_core::__private::Message>::Reply,
            >,
        ),
    }
    type __Self = Watcher;
    #[automatically_derived]
    impl ::actor_core::__private::Actor for __Self {
        const NAME: &'static str = "Watcher";
        const HANDLES: &'static [&'static str] = &["Known"];
        const __CATCH_ALL: bool = true;
        type Dispatch = __ActorDispatch;
        #[inline]
        #[allow(unused_variables)]
        fn __dispatch(
            &mut self,
            __msg: __ActorDispatch,
            __ctx: &mut ::actor_core::__private::Context<Self>,
        ) {
            match __msg {
                __ActorDispatch::__M0(__msg, __reply) => {
                    __reply
                        .complete(|| {
                            let __value: <Known as ::actor_core::__private::Message>::Reply = Self::on_known(
                                self,
                                __msg,
                            );
                            __value
                        })
                }
            }
        }
        #[allow(unused_mut)]
        fn __from_dyn(
            __msg: ::actor_core::__private::DynMessage,
        ) -> ::core::result::Result<
            __ActorDispatch,
            ::actor_core::__private::DynMessage,
        > {
            let mut __msg = __msg;
            __msg = match __msg.downcast::<Known>() {
                ::core::result::Result::Ok(__typed) => {
                    return ::core::result::Result::Ok(
                        __ActorDispatch::__M0(
                            __typed,
                            ::actor_core::__private::ReplyTo::none(),
                        ),
                    );
                }
                ::core::result::Result::Err(__other) => __other,
            };
            ::core::result::Result::Err(__msg)
        }
        #[allow(unused_variables)]
        fn __take(
            __slot: &mut dyn ::core::any::Any,
        ) -> ::core::option::Option<__ActorDispatch> {
            if let ::core::option::Option::Some(__slot) = __slot
                .downcast_mut::<::core::option::Option<Known>>()
            {
                return match __slot.take() {
                    ::core::option::Option::Some(__typed) => {
                        ::core::option::Option::Some(
                            __ActorDispatch::__M0(
                                __typed,
                                ::actor_core::__private::ReplyTo::none(),
                            ),
                        )
                    }
                    ::core::option::Option::None => ::core::option::Option::None,
                };
            }
            ::core::option::Option::None
        }
        fn __into_dyn(__msg: __ActorDispatch) -> ::actor_core::__private::DynMessage {
            match __msg {
                __ActorDispatch::__M0(__msg, _) => {
                    ::actor_core::__private::DynMessage::new(__msg)
                }
            }
        }
        fn __catch_all(
            &mut self,
            __msg: ::actor_core::__private::DynMessage,
            __ctx: &mut ::actor_core::__private::Context<Self>,
        ) {
            Self::on_other(self, __msg);
        }
        fn __on_start(&mut self, __ctx: &mut ::actor_core::__private::Context<Self>) {
            Self::started(self, __ctx);
        }
        fn __on_stop(&mut self, __ctx: &mut ::actor_core::__private::Context<Self>) {
            Self::stopped(self);
        }
    }
    #[automatically_derived]
    impl ::actor_core::__private::Handler<Known> for __Self {
        const __SENDER: bool = false;
        #[inline]
        fn __pack(
            __msg: Known,
            __reply: ::actor_core::__private::ReplyTo<
                <Known as ::actor_core::__private::Message>::Reply,
            >,
        ) -> ::actor_core::__private::Mail<Self> {
            ::actor_core::__private::Mail::Typed(__ActorDispatch::__M0(__msg, __reply))
        }
        fn __unpack(__mail: ::actor_core::__private::Mail<Self>) -> Known {
            match __mail {
                ::actor_core::__private::Mail::Typed(__ActorDispatch::__M0(__msg, _)) => {
                    __msg
                }
                _ => ::actor_core::__private::__mismatched_mail(),
            }
        }
    }
    #[allow(unused_imports)]
    mod __actor_helpers {
        use super::*;
        use ::actor_core::prelude::*;
        #[on_start(__consumed_by_actor)]
        const _: () = ();
        #[handles(__consumed_by_actor)]
        const _: () = ();
        #[on_stop(__consumed_by_actor)]
        const _: () = ();
    }
};
