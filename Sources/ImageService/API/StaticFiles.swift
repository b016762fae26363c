import Foundation
import HTTPProtocol

/// Serves the browser page's files from one folder, and nothing outside it: only plain file names (letters,
/// digits, `.`, `-`, `_`, no leading dot) are looked up, so `..`, encoded slashes and hidden files cannot reach
/// anything else.
public struct StaticFiles: Sendable {
    private static let mediaTypes = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
        "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon", "json": "application/json",
        "yaml": "application/yaml", "webmanifest": "application/manifest+json",
    ]

    /// Policy for our own page, which needs no inline script or style.
    static let contentSecurityPolicy =
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    let root: String

    public init(root: String) {
        self.root = root
    }

    /// Adds the page's routes, public: the page asks for the token itself.
    public func register(on router: inout Router) {
        router.add(.get, "/", access: .public) { request, _ in try serve("index.html", request) }
        router.add(.get, "/{file}", access: .public) { request, parameters in
            try serve(parameters["file"] ?? "", request)
        }
    }

    /// Serves the one file `name` of the folder at `route` (the OpenAPI document at `/openapi.yaml`).
    public func register(_ name: String, at route: String, on router: inout Router) {
        router.add(.get, route, access: .public) { request, _ in try serve(name, request) }
    }

    private func serve(_ name: String, _ request: HTTPRequest) throws -> HTTPResponse {
        guard Self.isPlainName(name), let type = Self.mediaTypes[(name as NSString).pathExtension.lowercased()] else {
            throw APIError.notFound("no such file")
        }
        let path = (root as NSString).appendingPathComponent(name)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            attributes[.type] as? FileAttributeType == .typeRegular,
            let data = FileManager.default.contents(atPath: path)
        else {
            throw APIError.notFound("no such file")
        }
        let modified = (attributes[.modificationDate] as? Date) ?? Date(timeIntervalSince1970: 0)
        let etag = EntityTag("\(data.count)-\(Int(modified.timeIntervalSince1970))")
        var headers: HTTPHeaders = [
            "Content-Type": type,
            "ETag": etag.description,
            "Last-Modified": HTTPDate.format(secondsSince1970: Int(modified.timeIntervalSince1970)),
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        ]
        if type.hasPrefix("text/html") {
            headers.add(name: "Content-Security-Policy", value: Self.contentSecurityPolicy)
            headers.add(name: "X-Frame-Options", value: "DENY")
        }
        if IfNoneMatch(request.head.headers)?.matches(etag) == true {
            return HTTPResponse(status: .notModified, headers: headers)
        }
        return HTTPResponse(status: .ok, headers: headers, body: [UInt8](data))
    }

    private static func isPlainName(_ name: String) -> Bool {
        guard !name.isEmpty, !name.hasPrefix("."), name.utf8.count <= 255 else { return false }
        return name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII
                && (CharacterSet.alphanumerics.contains(scalar) || scalar == "." || scalar == "-" || scalar == "_")
        }
    }
}
