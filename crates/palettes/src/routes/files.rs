//! The file routes of palettes: a palette as a file a designer's tool or a
//! build reads (`export`), a palette from such a file (`import`), and the
//! WCAG contrast of its colours. The formats are the `exports` crate's pure
//! functions; these handlers only find the palette, check the request and
//! shape the response.

use accounts::CurrentUser;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use api_versioning::body::RawBody;
use api_versioning::{respond, ApiVersion, V1_MEDIA_TYPE, V2_MEDIA_TYPE};
use database::Pool;
use events::Hub;
use exports::Format;
use kernel::{ApiError, ErrorKind, FieldErrors};
use teams::cache::TeamCache;

use super::created;
use crate::model::{Palette, TeamDetail};
use crate::service;
use crate::wire::files::{
    ContrastReport, DesignTokensFile, ExportFormat, ImportFormat, ImportRequest, PaletteFileBody,
};
use crate::wire::team_detail;
use crate::wire::v1::PaletteV1;
use crate::wire::v2::PaletteV2;

/// Exports are cached by clients and revalidated with their `ETag`.
const EXPORT_CACHE_CONTROL: &str = "private, no-cache";

/// The strong `ETag` of a palette's revision in a format; the service's
/// version is part of it, so a release that writes a format differently
/// is not answered 304.
fn export_etag(palette: &Palette, format: Format) -> String {
    format!(
        "\"{}-{}-{}-{}\"",
        palette.id,
        palette.revision,
        format.name(),
        env!("CARGO_PKG_VERSION")
    )
}

/// Download one of my palettes as a file.
#[utoipa::path(
    tag = "palettes",
    security(("basic" = []), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Palette id"),
        ("format" = inline(ExportFormat), Path, description = "The file format"),
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` of this export from before: 304 while the palette is unchanged"),
    ),
    responses(
        (status = 200, description = "The palette as a file, the same bytes in both versions",
            headers(
                ("ETag" = String, description = "The palette's revision in this format"),
                ("Content-Disposition" = String, description = "`attachment` with an ASCII `filename` and a UTF-8 `filename*` made from the palette's name"),
            ),
            content(
                (String = "text/css"),
                (DesignTokensFile = "application/design-tokens+json"),
                (String = "application/x-gimp-palette"),
                (PaletteFileBody = "application/x-adobe-ase"),
                (String = "image/svg+xml"),
            )),
        (status = 304, description = "`If-None-Match` names the current `ETag`: the palette is unchanged",
            headers(("ETag" = String, description = "The export's tag"))),
        (status = 404, description = "No such palette in my teams, or no such format (the body names those that exist)"),
    )
)]
#[get("/palettes/{id}/export/{format}")]
async fn export_palette(
    req: HttpRequest,
    path: web::Path<(i64, String)>,
    user: CurrentUser,
    pool: web::Data<Pool>,
    cache: web::Data<TeamCache>,
) -> Result<HttpResponse, ApiError> {
    let (id, format_name) = path.into_inner();
    let format = Format::parse(&format_name).ok_or_else(|| {
        ApiError::new(
            ErrorKind::NotFound,
            format!(
                "Unknown format \"{format_name}\": use one of {}.",
                Format::names(&Format::ALL)
            ),
        )
    })?;
    let mut conn = pool.get().await?;
    let view = service::read(&mut conn, &cache, user.id, id, TeamDetail::Name).await?;
    drop(conn);
    let etag = export_etag(&view.palette, format);
    if kernel::etag::none_match(&req, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, EXPORT_CACHE_CONTROL))
            .finish());
    }
    let body = format.export(&view.palette.to_file());
    let disposition = exports::filename::content_disposition(&view.palette.name, format.extension());
    let mut response = HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.media_type()))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, EXPORT_CACHE_CONTROL))
        .body(body);
    // Only printable ASCII by construction; checked all the same.
    let value = HeaderValue::from_str(&disposition).map_err(ApiError::internal)?;
    response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    Ok(response)
}

/// Whether an import of `format` reads a body sent as `media_type`: the
/// format's own type, `application/octet-stream`, `text/plain` for the
/// text formats, `application/json` for design tokens, or none at all.
fn reads_media_type(format: Format, media_type: Option<&str>) -> bool {
    let Some(media_type) = media_type else {
        return true;
    };
    let own = format.media_type().split(';').next().unwrap_or_default();
    media_type == own
        || media_type == "application/octet-stream"
        || (media_type == "text/plain" && matches!(format, Format::Css | Format::Gpl))
        || (media_type == "application/json" && format == Format::Tokens)
}

/// Create a palette in one of my teams from a file.
#[utoipa::path(
    tag = "palettes",
    security(("basic" = []), ("bearer" = [])),
    params(
        ("format" = inline(ImportFormat), Query, description = "The file's format (SVG is not imported)"),
        ("team_id" = i64, Query, description = "The team to create the palette in, one I belong to"),
        ("name" = Option<String>, Query, min_length = 1, max_length = 255,
            description = "The palette's name; by default the file's (a file that names none needs it)"),
    ),
    request_body(
        description = "The file, as exported (up to 64 KiB and 256 colours), sent as its format's media type or `application/octet-stream`",
        content(
            (String = "text/css"),
            (DesignTokensFile = "application/design-tokens+json"),
            (String = "application/x-gimp-palette"),
            (PaletteFileBody = "application/x-adobe-ase"),
            (PaletteFileBody = "application/octet-stream"),
        )),
    responses(
        (status = 201, description = "The new palette, with the file's colours in order and their names",
            headers(
                ("Location" = String, description = "The new palette's URL, `/api/palettes/{id}/`"),
                ("ETag" = String, description = "2.0: the palette's entity tag"),
            ),
            content(
                (PaletteV1 = V1_MEDIA_TYPE),
                (PaletteV2 = V2_MEDIA_TYPE),
            )),
        (status = 400, description = "A missing or unknown `format`, a `team_id` that is not a team I am in, an invalid `name`, a file that does not parse (`file`: where and why), more than 256 colours, or no name; nothing is created"),
        (status = 409, description = "2.0: the team already has a palette of this name, ignoring case"),
        (status = 415, description = "The body is sent as a media type this format is not read from"),
    )
)]
#[post("/palettes/import")]
async fn import_palette(
    version: ApiVersion,
    user: CurrentUser,
    query: web::Query<Vec<(String, String)>>,
    body: RawBody,
    (pool, cache, hub): (web::Data<Pool>, web::Data<TeamCache>, web::Data<Hub>),
) -> Result<HttpResponse, ApiError> {
    let request = ImportRequest::read(&query).map_err(ApiError::validation)?;
    if !reads_media_type(request.format, body.media_type.as_deref()) {
        let own = request.format.media_type().split(';').next().unwrap_or_default();
        return Err(ApiError::new(
            ErrorKind::UnsupportedMediaType,
            format!(
                "Unsupported media type in request: send a {} file as {own} or application/octet-stream.",
                request.format.name()
            ),
        ));
    }
    if body.bytes.is_empty() {
        return Err(ApiError::field(
            "file",
            "The request body is empty: send the file to import.",
        ));
    }
    let file = request.format.import(&body.bytes).map_err(|error| {
        let mut errors = FieldErrors::new();
        errors.add("file", error.to_string());
        ApiError::validation(errors)
    })?;
    let changes = request.changes(file).map_err(ApiError::validation)?;
    let mut conn = pool.get().await?;
    let view = service::create(&mut conn, &cache, user.id, Ok(changes), team_detail(version)).await?;
    hub.touch(view.palette.team_id);
    created(version, &view)
}

/// The WCAG 2.2 contrast of every ordered pair of a palette's colours.
#[utoipa::path(
    tag = "palettes",
    security(("basic" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "Palette id")),
    responses(
        (status = 200, description = "Every ordered pair of two of its colours (n × (n − 1) pairs), the same in both versions",
            content(
                (ContrastReport = V1_MEDIA_TYPE),
                (ContrastReport = V2_MEDIA_TYPE),
            )),
        (status = 404, description = "No such palette in my teams"),
    )
)]
#[get("/palettes/{id}/contrast")]
async fn palette_contrast(
    path: web::Path<i64>,
    user: CurrentUser,
    pool: web::Data<Pool>,
    cache: web::Data<TeamCache>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    let view = service::read(&mut conn, &cache, user.id, path.into_inner(), TeamDetail::Name).await?;
    drop(conn);
    Ok(respond::json(StatusCode::OK, &ContrastReport::of(&view.palette.colors)))
}

/// Registers the file routes (under `/api`), before the palette's own
/// routes so that `/palettes/import` is not taken for a palette's id.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(import_palette)
        .service(export_palette)
        .service(palette_contrast);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_read_the_formats_own_type_octet_streams_and_plain_text() {
        assert!(reads_media_type(Format::Css, Some("text/css")));
        assert!(reads_media_type(Format::Css, Some("text/plain")));
        assert!(reads_media_type(Format::Ase, Some("application/octet-stream")));
        assert!(reads_media_type(Format::Tokens, Some("application/design-tokens+json")));
        assert!(reads_media_type(Format::Tokens, Some("application/json")));
        assert!(reads_media_type(Format::Gpl, None));
        assert!(!reads_media_type(Format::Ase, Some("text/plain")));
        assert!(!reads_media_type(
            Format::Css,
            Some("application/x-www-form-urlencoded")
        ));
    }
}
