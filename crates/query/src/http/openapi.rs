//! The OpenAPI 3.1 document, generated from the handlers' annotations and the response
//! types' schemas (served at `GET /openapi.json`).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::handlers::{demands, matching, ops, search, supplies};

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "techmatch",
        description = "Search and demand-to-supply matching for Vietnam's technology exchange. \
            Errors are `{\"error\": {\"code\": \"...\", \"message\": \"...\"}}`. Writes need \
            `Authorization: Bearer KEY` and are disabled when the server has no key."
    ),
    paths(
        search::search,
        search::suggest,
        matching::match_one,
        matching::match_bulk,
        supplies::get_supply,
        supplies::create_supplies,
        supplies::put_supply,
        supplies::delete_supply,
        demands::get_demand,
        demands::create_demands,
        demands::put_demand,
        demands::delete_demand,
        ops::healthz,
        ops::readyz,
        ops::metrics,
        ops::openapi,
    ),
    components(schemas(crate::reverse::SupplyResult, crate::reverse::DemandMatch)),
    modifiers(&BearerKey),
    tags(
        (name = "search", description = "The portal's search box"),
        (name = "match", description = "Demands matched against the supplies, or (against=demands) supplies against the demands"),
        (name = "supplies", description = "Supply records; writes need the API key"),
        (name = "demands", description = "Demand records, the other side of the exchange; writes need the API key"),
        (name = "operations", description = "Health, readiness, metrics, this document"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme the write endpoints refer to.
struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as JSON.
pub fn openapi_json() -> String {
    ApiDoc::openapi()
        .to_json()
        .expect("the OpenAPI document serialises")
}
