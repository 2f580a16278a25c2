// The expansion of warehouse; rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p actor-macros`.

impl Warehouse {
    fn on_get(&mut self, _: GetInventory) -> Vec<i64> {
        self.inventory.clone()
    }
    fn on_product(&mut self, Product(n): Product, ctx: &mut Context<Self>) {
        self.inventory.push(n);
    }
    fn on_count(&self, _: wire::Count) -> usize {
        self.inventory.len()
    }
    fn helper(&self) {}
}
const _: () = {
    #[doc(hidden)]
    #[allow(private_interfaces, private_bounds, non_camel_case_types)]
    pub enum __ActorDispatch {
        __M0(
            GetInventory,
            ::actor_core::__private::ReplyTo<
                <GetInventory as ::actor_core::__private::Message>::Reply,
            >,
        ),
        __M1(
            Product,
            ::actor_core::__private::ReplyTo<
                <Product as ::actor_core::__private::Message>::Reply,
            >,
        ),
        __M2(
            wire::Count,
            ::actor_core::__private::ReplyTo<
                <wire::Count as ::actor_core::__private::Message>::Reply,
            >,
        ),
    }
    type __Self = Warehouse;
    #[automatically_derived]
    impl ::actor_core::__private::Actor for __Self {
        const NAME: &'static str = "Warehouse";
        const HANDLES: &'static [&'static str] = &[
            "GetInventory",
            "Product",
            "wire::Count",
        ];
        const __CATCH_ALL: bool = false;
        const __ON_START: bool = false;
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
                            let __value: <GetInventory as ::actor_core::__private::Message>::Reply = Self::on_get(
                                self,
                                __msg,
                            );
                            __value
                        })
                }
                __ActorDispatch::__M1(__msg, __reply) => {
                    __reply
                        .complete(|| {
                            let __value: <Product as ::actor_core::__private::Message>::Reply = Self::on_product(
                                self,
                                __msg,
                                __ctx,
                            );
                            __value
                        })
                }
                __ActorDispatch::__M2(__msg, __reply) => {
                    __reply
                        .complete(|| {
                            let __value: <wire::Count as ::actor_core::__private::Message>::Reply = Self::on_count(
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
            __msg = match __msg.downcast::<GetInventory>() {
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
            __msg = match __msg.downcast::<Product>() {
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
            __msg = match __msg.downcast::<wire::Count>() {
                ::core::result::Result::Ok(__typed) => {
                    return ::core::result::Result::Ok(
                        __ActorDispatch::__M2(
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
                .downcast_mut::<::core::option::Option<GetInventory>>()
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
                .downcast_mut::<::core::option::Option<Product>>()
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
            if let ::core::option::Option::Some(__slot) = __slot
                .downcast_mut::<::core::option::Option<wire::Count>>()
            {
                return match __slot.take() {
                    ::core::option::Option::Some(__typed) => {
                        ::core::option::Option::Some(
                            __ActorDispatch::__M2(
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
                __ActorDispatch::__M1(__msg, _) => {
                    ::actor_core::__private::DynMessage::new(__msg)
                }
                __ActorDispatch::__M2(__msg, _) => {
                    ::actor_core::__private::DynMessage::new(__msg)
                }
            }
        }
    }
    #[automatically_derived]
    impl ::actor_core::__private::Handler<GetInventory> for __Self {
        const __SENDER: bool = false;
        #[inline]
        fn __pack(
            __msg: GetInventory,
            __reply: ::actor_core::__private::ReplyTo<
                <GetInventory as ::actor_core::__private::Message>::Reply,
            >,
        ) -> ::actor_core::__private::Mail<Self> {
            ::actor_core::__private::Mail::Typed(__ActorDispatch::__M0(__msg, __reply))
        }
        fn __unpack(__mail: ::actor_core::__private::Mail<Self>) -> GetInventory {
            match __mail {
                ::actor_core::__private::Mail::Typed(__ActorDispatch::__M0(__msg, _)) => {
                    __msg
                }
                _ => ::actor_core::__private::__mismatched_mail(),
            }
        }
    }
    #[automatically_derived]
    impl ::actor_core::__private::Handler<Product> for __Self {
        #[inline]
        fn __pack(
            __msg: Product,
            __reply: ::actor_core::__private::ReplyTo<
                <Product as ::actor_core::__private::Message>::Reply,
            >,
        ) -> ::actor_core::__private::Mail<Self> {
            ::actor_core::__private::Mail::Typed(__ActorDispatch::__M1(__msg, __reply))
        }
        fn __unpack(__mail: ::actor_core::__private::Mail<Self>) -> Product {
            match __mail {
                ::actor_core::__private::Mail::Typed(__ActorDispatch::__M1(__msg, _)) => {
                    __msg
                }
                _ => ::actor_core::__private::__mismatched_mail(),
            }
        }
    }
    #[automatically_derived]
    impl ::actor_core::__private::Handler<wire::Count> for __Self {
        const __SENDER: bool = false;
        #[inline]
        fn __pack(
            __msg: wire::Count,
            __reply: ::actor_core::__private::ReplyTo<
                <wire::Count as ::actor_core::__private::Message>::Reply,
            >,
        ) -> ::actor_core::__private::Mail<Self> {
            ::actor_core::__private::Mail::Typed(__ActorDispatch::__M2(__msg, __reply))
        }
        fn __unpack(__mail: ::actor_core::__private::Mail<Self>) -> wire::Count {
            match __mail {
                ::actor_core::__private::Mail::Typed(__ActorDispatch::__M2(__msg, _)) => {
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
