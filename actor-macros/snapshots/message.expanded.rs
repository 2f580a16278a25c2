// The expansion of message; rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p actor-macros`.

const _: () = {
    #[allow(dead_code)]
    struct __AssertSend<__T: ?::core::marker::Sized + ::core::marker::Send>(
        ::core::marker::PhantomData<__T>,
    );
    #[allow(dead_code)]
    struct __Fields<T: Clone, const N: usize>(
        __AssertSend<T>,
        __AssertSend<T>,
        __AssertSend<[u8; N]>,
    )
    where
        T: ::core::marker::Send + 'static;
    #[automatically_derived]
    impl<T: Clone, const N: usize> ::actor_core::__private::Message for Repeat<T, N>
    where
        T: ::core::marker::Send + 'static,
    {
        type Reply = Vec<T>;
    }
};
