//! The answer for requests no route took: `OPTIONS` on a path that exists
//! gets 204 with `Allow`; another method the path does not take gets 405
//! with `Allow`; a path that does not exist gets 404; errors in the
//! negotiated version's format. `Allow` lists `HEAD` wherever `GET` is (the
//! versioning middleware serves HEAD as GET) and always `OPTIONS`, as the
//! seed's framework did.

use std::sync::Arc;

use actix_web::dev::ResourceDef;
use actix_web::http::header::ALLOW;
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse};
use kernel::{ApiError, ErrorKind};

/// The paths the API serves and their methods, read from the OpenAPI
/// document built from the same handlers, so the two cannot drift.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<(ResourceDef, Vec<Method>)>,
}

impl RouteTable {
    /// Reads every path and method of the document.
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods: Vec<Method> = Vec::new();
                let pairs = [
                    (&item.get, Method::GET),
                    (&item.post, Method::POST),
                    (&item.put, Method::PUT),
                    (&item.patch, Method::PATCH),
                    (&item.delete, Method::DELETE),
                    (&item.head, Method::HEAD),
                    (&item.options, Method::OPTIONS),
                ];
                for (operation, method) in pairs {
                    if operation.is_some() {
                        methods.push(method);
                    }
                }
                (ResourceDef::new(numeric_ids(path.trim_end_matches('/'))), methods)
            })
            .collect();
        Self { routes }
    }

    /// Adds a path served outside the document (the docs themselves); its
    /// pattern is used as given.
    pub fn with(mut self, pattern: &str, methods: &[Method]) -> Self {
        self.routes.push((ResourceDef::new(pattern), methods.to_vec()));
        self
    }

    /// The methods `path` allows; empty when no route has that path.
    pub fn allowed(&self, path: &str) -> Vec<Method> {
        let mut allowed: Vec<Method> = Vec::new();
        let routed = self
            .routes
            .iter()
            .filter(|(def, _)| def.is_match(path))
            .flat_map(|(_, methods)| methods.iter());
        for method in routed {
            if !allowed.contains(method) {
                allowed.push(method.clone());
            }
        }
        if allowed.is_empty() {
            return allowed;
        }
        for implied in [Method::HEAD, Method::OPTIONS] {
            let served = implied != Method::HEAD || allowed.contains(&Method::GET);
            if served && !allowed.contains(&implied) {
                allowed.push(implied);
            }
        }
        allowed
    }

    /// A handler for `App::default_service`.
    pub fn into_fallback(
        self,
    ) -> impl Fn(HttpRequest) -> std::future::Ready<Result<HttpResponse, ApiError>> + Clone + 'static {
        let table = Arc::new(self);
        move |req: HttpRequest| {
            let allowed = table.allowed(req.path());
            let allow = allowed.iter().map(Method::as_str).collect::<Vec<_>>().join(", ");
            if req.method() == Method::OPTIONS && !allowed.is_empty() {
                let response = HttpResponse::NoContent().insert_header((ALLOW, allow)).finish();
                return std::future::ready(Ok(response));
            }
            let error = if allowed.is_empty() {
                ApiError::not_found()
            } else {
                let mut error = ApiError::new(
                    ErrorKind::MethodNotAllowed,
                    format!("Method \"{}\" not allowed.", req.method()),
                );
                error.allow = Some(allow);
                error
            };
            std::future::ready(Err(error))
        }
    }
}

/// The document's path template with each `{param}` matching a whole number
/// only, as every path parameter of the API is an id: `/api/palettes/x/copy`
/// names no resource (404 for every method, as the routes answer), while
/// `/api/palettes/7/copy` with a wrong method is a 405.
fn numeric_ids(template: &str) -> String {
    let mut pattern = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|i| open + i) else {
            break;
        };
        pattern.push_str(&rest[..open]);
        pattern.push('{');
        pattern.push_str(&rest[open + 1..close]);
        pattern.push_str(":[-+]?[0-9]+}");
        rest = &rest[close + 1..];
    }
    pattern.push_str(rest);
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_match_whole_numbers_only() {
        assert_eq!(
            numeric_ids("/api/teams/{id}/members/{user_id}"),
            "/api/teams/{id:[-+]?[0-9]+}/members/{user_id:[-+]?[0-9]+}"
        );
        assert_eq!(numeric_ids("/api/palettes"), "/api/palettes");
        let table = RouteTable::default().with(&numeric_ids("/api/palettes/{id}/copy"), &[Method::POST]);
        assert_eq!(table.allowed("/api/palettes/7/copy"), [Method::POST, Method::OPTIONS]);
        assert!(table.allowed("/api/palettes/x/copy").is_empty());
    }
}
