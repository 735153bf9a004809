//! The answer for requests no route took: 405 when the path exists with other
//! methods, else 404, both in the negotiated version's format.

use std::sync::Arc;

use actix_web::dev::ResourceDef;
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
                (ResourceDef::new(path.trim_end_matches('/').to_owned()), methods)
            })
            .collect();
        Self { routes }
    }

    /// Adds a path served outside the document (the docs themselves).
    pub fn with(mut self, pattern: &str, methods: &[Method]) -> Self {
        self.routes.push((ResourceDef::new(pattern), methods.to_vec()));
        self
    }

    /// The methods `path` allows; empty when no route has that path.
    pub fn allowed(&self, path: &str) -> Vec<Method> {
        let mut allowed: Vec<Method> = self
            .routes
            .iter()
            .filter(|(def, _)| def.is_match(path))
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect();
        allowed.dedup();
        allowed
    }

    /// A handler for `App::default_service`.
    pub fn into_fallback(
        self,
    ) -> impl Fn(HttpRequest) -> std::future::Ready<Result<HttpResponse, ApiError>> + Clone + 'static {
        let table = Arc::new(self);
        move |req: HttpRequest| {
            let allowed = table.allowed(req.path());
            let error = if allowed.is_empty() {
                ApiError::not_found()
            } else {
                let mut error = ApiError::new(
                    ErrorKind::MethodNotAllowed,
                    format!("Method \"{}\" not allowed.", req.method()),
                );
                error.allow = Some(allowed.iter().map(Method::as_str).collect::<Vec<_>>().join(", "));
                error
            };
            std::future::ready(Err(error))
        }
    }
}
