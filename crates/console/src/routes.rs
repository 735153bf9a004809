//! The console's two routes.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::assets;

/// The page's path.
pub const PAGE_PATH: &str = "/";
/// The assets' path pattern (the version, then the file).
pub const ASSETS_PATH: &str = "/console/{version}/{file:.*}";

/// What the page and its files may do: everything from this origin only, no
/// inline code, colours from `data:` and `blob:` images (exports it shows),
/// no framing, no `<base>` or form posts elsewhere.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
     connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";
/// A year: the assets' URL changes with their bytes.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Registers the page and its assets.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(PAGE_PATH, web::get().to(page))
        .route(ASSETS_PATH, web::get().to(asset));
}

/// The console's page, pointing at this release's assets.
async fn page(req: HttpRequest) -> HttpResponse {
    let Some(index) = assets::get("index.html") else {
        return HttpResponse::NotFound().finish();
    };
    let version = assets::version();
    let etag = format!("\"{version}\"");
    if kernel::etag::none_match(&req, &etag) {
        return not_modified(&etag, "no-cache");
    }
    let prefix = format!("/console/{version}");
    let body = String::from_utf8_lossy(&index.bytes).replace("%ASSETS%", &prefix);
    HttpResponse::Ok()
        .content_type(index.content_type)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .body(body)
}

/// One of this release's files; 404 for another release's version.
async fn asset(req: HttpRequest, path: web::Path<(String, String)>) -> HttpResponse {
    let (version, file) = path.into_inner();
    let found = (version == assets::version())
        .then(|| assets::get(&file))
        .flatten()
        .filter(|_| file != "index.html");
    let Some(asset) = found else {
        return HttpResponse::NotFound().finish();
    };
    if kernel::etag::none_match(&req, &asset.etag) {
        return not_modified(&asset.etag, IMMUTABLE);
    }
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, IMMUTABLE))
        .insert_header((header::ETAG, asset.etag))
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .body(asset.bytes.into_owned())
}

/// A 304 with the headers of the 200 it stands for: a browser takes them
/// into its stored copy, and a 304 with another policy would block the
/// page's own files on the next load.
fn not_modified(etag: &str, cache_control: &'static str) -> HttpResponse {
    let mut response = HttpResponse::NotModified()
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .finish();
    if let Ok(value) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}
