import Logging

/// Matches a request to a handler by method and path template (`/api/images/{id}`), and is the one place where
/// errors become responses: `HTTPResponseError`s are told to the client, anything else is logged and answered 500.
///
/// `HEAD` is served by the `GET` handler (the server sends the head only); a path that exists under other methods
/// answers 405 with `Allow`.
public struct Router: HTTPResponder {
    /// Handles one matched request; `parameters` holds the template's captures.
    public typealias Handler = @Sendable (HTTPRequest, RouteParameters) async throws -> HTTPResponse

    private struct Route: Sendable {
        var method: HTTPMethod
        var segments: [Segment]
        var handler: Handler
    }

    private enum Segment: Sendable, Equatable {
        case literal(String)
        case capture(String)
    }

    private var routes: [Route] = []
    private let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Adds a route; `template` segments in braces capture that segment of the path.
    public mutating func add(_ method: HTTPMethod, _ template: String, handler: @escaping Handler) {
        let segments = Self.split(template).map { segment -> Segment in
            segment.hasPrefix("{") && segment.hasSuffix("}")
                ? .capture(String(segment.dropFirst().dropLast())) : .literal(String(segment))
        }
        routes.append(Route(method: method, segments: segments, handler: handler))
    }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        let path = Self.split(request.head.path)
        var allowed: [HTTPMethod] = []
        for route in routes {
            guard let parameters = Self.match(route.segments, path) else { continue }
            let method = request.head.method == .head ? HTTPMethod.get : request.head.method
            guard route.method == method else {
                // Two templates can match one path (`/healthz` and `/{file}`): name each method once.
                if !allowed.contains(route.method) { allowed.append(route.method) }
                continue
            }
            do {
                return try await route.handler(request, parameters)
            } catch let error as any HTTPResponseError {
                return error.response()
            } catch {
                logger.error(
                    "request failed",
                    metadata: ["http.path": "\(request.head.path)", "error": "\(String(reflecting: error))"])
                return .error(status: .internalServerError, code: "internal_error", message: "an unexpected error occurred")
            }
        }
        if !allowed.isEmpty {
            if allowed.contains(.get), !allowed.contains(.head) { allowed.append(.head) }
            return APIError.methodNotAllowed(allowed: allowed).response()
        }
        return APIError.notFound("no route for \(request.head.path)").response()
    }

    private static func split(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    private static func match(_ segments: [Segment], _ path: [Substring]) -> RouteParameters? {
        guard segments.count == path.count else { return nil }
        var parameters = RouteParameters()
        for (segment, component) in zip(segments, path) {
            switch segment {
            case .literal(let literal) where literal == component:
                continue
            case .literal:
                return nil
            case .capture(let name):
                parameters.values[name] = String(component)
            }
        }
        return parameters
    }
}

/// The values a route template captured from the path.
public struct RouteParameters: Sendable {
    fileprivate(set) var values: [String: String] = [:]

    public subscript(name: String) -> String? { values[name] }
}
