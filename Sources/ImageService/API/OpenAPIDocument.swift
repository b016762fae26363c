import Foundation

/// Serves the API's contract, `openapi.yaml`, at `/openapi.yaml`, so that clients (Postman, code generators,
/// schemathesis) can fetch the description of the very server they talk to.
///
/// The file is read at each request (it is small, and `ETag`/`304` spare the transfer), from the configured path
/// or, by default, from `openapi.yaml` beside the web root: the repository keeps `web/` and `openapi.yaml` side by
/// side, and so does the container image.
public enum OpenAPIDocument {
    /// Where the document is served.
    public static let route = "/openapi.yaml"

    /// Adds the route when a document path is configured or follows from `webRoot`; without either, the path is
    /// simply not found.
    public static func register(path: String?, webRoot: String?, on router: inout Router) {
        guard let path = path ?? defaultPath(webRoot: webRoot) else { return }
        let file = URL(fileURLWithPath: path)
        StaticFiles(root: file.deletingLastPathComponent().path)
            .register(file.lastPathComponent, at: route, on: &router)
    }

    /// `openapi.yaml` in the folder that holds the web root.
    static func defaultPath(webRoot: String?) -> String? {
        guard let webRoot else { return nil }
        return URL(fileURLWithPath: webRoot).standardizedFileURL.deletingLastPathComponent()
            .appendingPathComponent("openapi.yaml").path
    }
}
