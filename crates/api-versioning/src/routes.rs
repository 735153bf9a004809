//! What the versioning mechanism knows of the app's routes: the paths and
//! their methods, the media types each operation produces besides JSON (so
//! `Accept` is negotiated per route), and path aliases a domain declares.
//!
//! It also answers requests no route took: `OPTIONS` on a path that exists
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

/// One operation: a method on a path.
#[derive(Debug, Clone)]
struct Operation {
    method: Method,
    /// Media types of its successful responses other than JSON.
    produces: Vec<String>,
    /// Media types of its request body other than JSON.
    consumes: Vec<String>,
}

/// The paths the API serves, their methods and the media types they
/// produce, read from the OpenAPI document built from the same handlers, so
/// the two cannot drift; and the path aliases of [`RouteTable::with_alias`].
#[derive(Debug, Default, Clone)]
pub struct RouteTable {
    routes: Vec<(ResourceDef, Vec<Operation>)>,
    aliases: Vec<(String, String)>,
}

/// Whether a media type is one of the JSON types every API route speaks.
fn is_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence.eq_ignore_ascii_case(crate::VENDOR_MEDIA_TYPE)
        || essence.eq_ignore_ascii_case(crate::render::PROBLEM_MEDIA_TYPE)
}

/// The non-JSON media types of an operation's successful responses.
fn produced(operation: &utoipa::openapi::path::Operation) -> Vec<String> {
    let mut types: Vec<String> = Vec::new();
    for (status, response) in &operation.responses.responses {
        let utoipa::openapi::RefOr::T(response) = response else {
            continue;
        };
        if !status.starts_with('2') {
            continue;
        }
        for media_type in response.content.keys() {
            if !is_json(media_type) && !types.contains(media_type) {
                types.push(media_type.clone());
            }
        }
    }
    types
}

/// The non-JSON media types an operation's request body may have.
fn consumed(operation: &utoipa::openapi::path::Operation) -> Vec<String> {
    operation
        .request_body
        .iter()
        .filter_map(|body| match body {
            utoipa::openapi::RefOr::T(body) => Some(body),
            utoipa::openapi::RefOr::Ref(_) => None,
        })
        .flat_map(|body| body.content.keys())
        .filter(|media_type| !is_json(media_type))
        .cloned()
        .collect()
}

impl RouteTable {
    /// Reads every path and method of the document.
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut operations: Vec<Operation> = Vec::new();
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
                    if let Some(operation) = operation {
                        operations.push(Operation {
                            method,
                            produces: produced(operation),
                            consumes: consumed(operation),
                        });
                    }
                }
                (ResourceDef::new(numeric_ids(path.trim_end_matches('/'))), operations)
            })
            .collect();
        Self {
            routes,
            aliases: Vec::new(),
        }
    }

    /// Adds a path served outside the document (the docs themselves); its
    /// pattern is used as given, and it produces JSON.
    pub fn with(self, pattern: &str, methods: &[Method]) -> Self {
        self.with_route(pattern, methods, &[])
    }

    /// Adds a path served outside the document that produces `produces`
    /// besides JSON; its pattern is used as given.
    pub fn with_route(mut self, pattern: &str, methods: &[Method], produces: &[&str]) -> Self {
        let operations = methods
            .iter()
            .map(|method| Operation {
                method: method.clone(),
                produces: produces.iter().map(|t| (*t).to_owned()).collect(),
                consumes: Vec::new(),
            })
            .collect();
        self.routes.push((ResourceDef::new(pattern), operations));
        self
    }

    /// Serves the paths under `alias` as those under `path` (the palettes
    /// crate's `/api/palletes`, the seed's spelling), without a redirect.
    pub fn with_alias(mut self, alias: &str, path: &str) -> Self {
        self.aliases.push((alias.to_owned(), path.to_owned()));
        self
    }

    /// `path` with an alias prefix replaced by the path it stands for.
    pub fn resolve_alias(&self, path: &str) -> Option<String> {
        self.aliases.iter().find_map(|(alias, target)| {
            let rest = path.strip_prefix(alias.as_str())?;
            (rest.is_empty() || rest.starts_with('/')).then(|| format!("{target}{rest}"))
        })
    }

    /// The media types besides JSON that `method` on `path` produces.
    pub fn produces(&self, path: &str, method: &Method) -> &[String] {
        self.routes
            .iter()
            .filter(|(def, _)| def.is_match(path))
            .flat_map(|(_, operations)| operations.iter())
            .find(|operation| operation.method == *method)
            .map_or(&[], |operation| operation.produces.as_slice())
    }

    /// The media types besides JSON that `method` on `path` reads in a request body.
    pub fn consumes(&self, path: &str, method: &Method) -> &[String] {
        self.routes
            .iter()
            .filter(|(def, _)| def.is_match(path))
            .flat_map(|(_, operations)| operations.iter())
            .find(|operation| operation.method == *method)
            .map_or(&[], |operation| operation.consumes.as_slice())
    }

    /// The methods `path` allows; empty when no route has that path.
    pub fn allowed(&self, path: &str) -> Vec<Method> {
        let mut allowed: Vec<Method> = Vec::new();
        let routed = self
            .routes
            .iter()
            .filter(|(def, _)| def.is_match(path))
            .flat_map(|(_, operations)| operations.iter());
        for operation in routed {
            if !allowed.contains(&operation.method) {
                allowed.push(operation.method.clone());
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

    /// The 405 (with `Allow`) of a request whose path exists but does not
    /// take its method; `None` when the path exists for no method or takes it.
    pub fn method_not_allowed(&self, req: &HttpRequest) -> Option<ApiError> {
        let allowed = self.allowed(req.path());
        if allowed.is_empty() || allowed.contains(req.method()) {
            return None;
        }
        let mut error = ApiError::new(
            ErrorKind::MethodNotAllowed,
            format!("Method \"{}\" not allowed.", shortened(req.method().as_str())),
        );
        error.allow = Some(allow_header(&allowed));
        Some(error)
    }

    /// A handler for `App::default_service`.
    pub fn fallback(
        self: Arc<Self>,
    ) -> impl Fn(HttpRequest) -> std::future::Ready<Result<HttpResponse, ApiError>> + Clone + 'static {
        let table = self;
        move |req: HttpRequest| {
            let allowed = table.allowed(req.path());
            if req.method() == Method::OPTIONS && !allowed.is_empty() {
                let response = HttpResponse::NoContent()
                    .insert_header((ALLOW, allow_header(&allowed)))
                    .finish();
                return std::future::ready(Ok(response));
            }
            let error = table.method_not_allowed(&req).unwrap_or_else(ApiError::not_found);
            std::future::ready(Err(error))
        }
    }
}

/// The `Allow` header listing `methods`.
fn allow_header(methods: &[Method]) -> String {
    methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", ")
}

/// The document's path template with each id parameter (`{id}`,
/// `{user_id}`) matching a whole number only, and any other (`{format}`)
/// one path segment: `/api/palettes/x/copy` names no resource (404 for every
/// method, as the routes answer), while `/api/palettes/7/copy` with a wrong
/// method is a 405, and `/api/palettes/import` is not palette `import`.
fn numeric_ids(template: &str) -> String {
    let mut pattern = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|i| open + i) else {
            break;
        };
        pattern.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        pattern.push('{');
        pattern.push_str(name);
        if name == "id" || name.ends_with("_id") {
            pattern.push_str(":[-+]?[0-9]+");
        }
        pattern.push('}');
        rest = &rest[close + 1..];
    }
    pattern.push_str(rest);
    pattern
}

/// A client's method as the 405 names it: the first 32 characters (methods
/// are short; a long invented one is not echoed whole).
fn shortened(method: &str) -> String {
    match method.char_indices().nth(32) {
        Some((at, _)) => format!("{}…", &method[..at]),
        None => method.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_invented_method_is_not_echoed_whole() {
        assert_eq!(shortened("PATCH"), "PATCH");
        let long = "X".repeat(20_000);
        assert_eq!(shortened(&long), format!("{}…", "X".repeat(32)));
    }

    #[test]
    fn path_parameters_match_whole_numbers_only() {
        assert_eq!(
            numeric_ids("/api/teams/{id}/members/{user_id}"),
            "/api/teams/{id:[-+]?[0-9]+}/members/{user_id:[-+]?[0-9]+}"
        );
        assert_eq!(numeric_ids("/api/palettes"), "/api/palettes");
        assert_eq!(
            numeric_ids("/api/palettes/{id}/export/{format}"),
            "/api/palettes/{id:[-+]?[0-9]+}/export/{format}"
        );
        let table = RouteTable::default().with(&numeric_ids("/api/palettes/{id}/copy"), &[Method::POST]);
        assert_eq!(table.allowed("/api/palettes/7/copy"), [Method::POST, Method::OPTIONS]);
        assert!(table.allowed("/api/palettes/x/copy").is_empty());
    }

    #[test]
    fn routes_know_what_they_produce_and_aliases_resolve_by_segment() {
        let table = RouteTable::default()
            .with_route("/api/events", &[Method::GET], &["text/event-stream"])
            .with("/api/teams", &[Method::GET])
            .with_alias("/api/palletes", "/api/palettes");
        assert_eq!(table.produces("/api/events", &Method::GET), ["text/event-stream"]);
        assert!(table.produces("/api/events", &Method::POST).is_empty());
        assert!(table.produces("/api/teams", &Method::GET).is_empty());
        assert_eq!(
            table.resolve_alias("/api/palletes/7").as_deref(),
            Some("/api/palettes/7")
        );
        assert_eq!(table.resolve_alias("/api/palletes").as_deref(), Some("/api/palettes"));
        assert_eq!(table.resolve_alias("/api/palletesx"), None);
    }
}
