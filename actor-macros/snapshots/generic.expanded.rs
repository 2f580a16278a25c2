// The expansion of generic; rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p actor-macros`.

impl<T: Clone + Send + 'static, S, const N: usize> Cache<T, S, N>
where
    S: Default + Send + 'static,
    Self: Send,
{
    fn on_put(&mut self, put: Put<T>) {}
    fn on_get(&mut self, get: Get<T>, ctx: &mut Context<Self>) -> Option<T> {
        None
    }
}
const _: () = {
    #[doc(hidden)]
    #[allow(private_interfaces, private_bounds, non_camel_case_types)]
    pub enum __ActorDispatch<T: Clone + Send + 'static, S, const N: usize>
    where
        S: Default + Send + 'static,
        __Self<T, S, N>: Send,
        T: ::core::marker::Send + 'static,
        S: ::core::marker::Send + 'static,
    {
        __M0(
            Put<T>,
            ::actor_core::__private::ReplyTo<
                <Put<T> as ::actor_core::__private::Message>::Reply,
            >,
        ),
        __M1(
            Get<T>,
            ::actor_core::__private::ReplyTo<
                <Get<T> as ::actor_core::__private::Message>::Reply,
            >,
        ),
        __Phantom(
            ::core::marker::PhantomData<fn() -> (T, S)>,
            ::core::convert::Infallible,
        ),
    }
    type __Self<T, S, const N: usize> = Cache<T, S, N>;
    #[automatically_derived]
    impl<T: Clone + Send + 'static, S, const N: usize> ::actor_core::__private::Actor
    for __Self<T, S, N>
    where
        S: Default + Send + 'static,
        Self: Send,
        T: ::core::marker::Send + 'static,
        S: ::core::marker::Send + 'static,
    {
        const NAME: &'static str = "Cache";
        const HANDLES: &'static [&'static str] = &["Put<T>", "Get<T>"];
        const __CATCH_ALL: bool = false;
        const __ON_START: bool = false;
        type Dispatch = __ActorDispatch<T, S, N>;
        #[inline]
        #[allow(unused_variables)]
        fn __dispatch(
            &mut self,
            __msg: __ActorDispatch<T, S, N>,
            __ctx: &mut ::actor_core::__private::Context<Self>,
        ) {
            match __msg {
                __ActorDispatch::__M0(__msg, __reply) => {
                    __reply
                        .complete(|| {
                            let __value: <Put<
                                T,
                            > as ::actor_core::__private::Message>::Reply = Self::on_put(
                                self,
                                __msg,
                            );
                            __value
                        })
                }
                __ActorDispatch::__M1(__msg, __reply) => {
                    __reply
                        .complete(|| {
                            let __value: <Get<
                                T,
                            > as ::actor_core::__private::Message>::Reply = Self::on_get(
                                self,
                                __msg,
                                __ctx,
                            );
                            __value
                        })
                }
                __ActorDispatch::__Phantom(_, __never) => match __never {}
            }
        }
        #[allow(unused_mut)]
        fn __from_dyn(
            __msg: ::actor_core::__private::DynMessage,
        ) -> ::core::result::Result<
            __ActorDispatch<T, S, N>,
            ::actor_core::__private::DynMessage,
        > {
            let mut __msg = __msg;
            __msg = match __msg.downcast::<Put<T>>() {
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
            __msg = match __msg.downcast::<Get<T>>() {
                ::core::result::Result::Ok(__typed) => {
                    return ::core::result::Result::Ok(
                        __ActorDispatch::__M1(
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
        ) -> ::core::option::Option<__ActorDispatch<T, S, N>> {
            if let ::core::option::Option::Some(__slot) = __slot
                .downcast_mut::<::core::option::Option<Put<T>>>()
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
            if let ::core::option::Option::Some(__slot) = __slot
                .downcast_mut::<::core::option::Option<Get<T>>>()
            {
                return match __slot.take() {
                    ::core::option::Option::Some(__typed) => {
                        ::core::option::Option::Some(
                            __ActorDispatch::__M1(
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
        fn __into_dyn(
            __msg: __ActorDispatch<T, S, N>,
        ) -> ::actor_core::__private::DynMessage {
            match __msg {
                __ActorDispatch::__M0(__msg, _) => {
                    ::actor_core::__private::DynMessage::new(__msg)
                }
                __ActorDispatch::__M1(__msg, _) => {
                    ::actor_core::__private::DynMessage::new(__msg)
                }
                __ActorDispatch::__Phantom(_, __never) => match __never {}
            }
        }
    }
    #[automatically_derived]
    impl<
        T: Clone + Send + 'static,
        S,
        const N: usize,
    > ::actor_core::__private::Handler<Put<T>> for __Self<T, S, N>
    where
        S: Default + Send + 'static,
        Self: Send,
        T: ::core::marker::Send + 'static,
        S: ::core::marker::Send + 'static,
    {
        const __SENDER: bool = false;
        #[inline]
        fn __pack(
            __msg: Put<T>,
            __reply: ::actor_core::__private::ReplyTo<
                <Put<T> as ::actor_core::__private::Message>::Reply,
            >,
        ) -> ::actor_core::__private::Mail<Self> {
            ::actor_core::__private::Mail::Typed(__ActorDispatch::__M0(__msg, __reply))
        }
        fn __unpack(__mail: ::actor_core::__private::Mail<Self>) -> Put<T> {
            match __mail {
                ::actor_core::__private::Mail::Typed(__ActorDispatch::__M0(__msg, _)) => {
                    __msg
                }
                _ => ::actor_core::__private::__mismatched_mail(),
            }
        }
    }
    #[automatically_derived]
    impl<
        T: Clone + Send + 'static,
        S,
        const N: usize,
    > ::actor_core::__private::Handler<Get<T>> for __Self<T, S, N>
    where
        S: Default + Send + 'static,
        Self: Send,
        T: ::core::marker::Send + 'static,
        S: ::core::marker::Send + 'static,
    {
        #[inline]
        fn __pack(
            __msg: Get<T>,
            __reply: ::actor_core::__private::ReplyTo<
                <Get<T> as ::actor_core::__private::Message>::Reply,
            >,
        ) -> ::actor_core::__private::Mail<Self> {
            ::actor_core::__private::Mail::Typed(__ActorDispatch::__M1(__msg, __reply))
        }
        fn __unpack(__mail: ::actor_core::__private::Mail<Self>) -> Get<T> {
            match __mail {
                ::actor_core::__private::Mail::Typed(__ActorDispatch::__M1(__msg, _)) => {
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
        #[handles(__consumed_by_actor)]
        const _: () = ();
    }
};
