//! The error answers of the OpenAPI document, one type per status: every error body is
//! the contract's `Error` shape, so a handler's `#[utoipa::path]` lists the statuses it
//! can answer (`responses((status = 200, …), E401, E404)`) instead of repeating the
//! same response tuple. What each status means for an operation is in the prose
//! (`openapi/prose.json`), laid over by status.

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::IntoResponses;

/// One status answering the `Error` schema in JSON.
fn error_answer(status: u16) -> BTreeMap<String, RefOr<Response>> {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Error")))
        .build();
    let response = ResponseBuilder::new()
        .description("")
        .content("application/json", content)
        .build();
    BTreeMap::from([(status.to_string(), RefOr::T(response))])
}

macro_rules! error_answers {
    ($($name:ident = $status:literal),* $(,)?) => {$(
        #[doc = concat!("A ", stringify!($status), " answer with the contract's error body.")]
        pub(super) struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                error_answer($status)
            }
        }
    )*};
}

error_answers!(
    E400 = 400,
    E401 = 401,
    E403 = 403,
    E404 = 404,
    E409 = 409,
    E410 = 410,
    E413 = 413,
    E429 = 429,
    E500 = 500,
    E503 = 503,
);
