import Logging

/// Matches a request to a handler by method and path template (`/api/images/{id}`), and is the one place where
/// errors become responses: `HTTPResponseError`s are told to the client, anything else is logged and answered 500.
///
/// `HEAD` is served by the `GET` handler (the server sends the head only); a path that exists under other methods
/// answers 405 with `Allow`. The `AccessPolicy` is applied here too: 401 for `/api/*` without a valid token, and
/// CORS headers and preflight (`OPTIONS`) answers for allowed origins.
public struct Router: HTTPResponder {
    /// Handles one matched request; `parameters` holds the template's captures.
    public typealias Handler = @Sendable (HTTPRequest, RouteParameters) async throws -> HTTPResponse

    private struct Route: Sendable {
        var method: HTTPMethod
        var template: String
        var segments: [Segment]
        var handler: Handler
    }

    private enum Segment: Sendable, Equatable {
        case literal(String)
        case capture(String)
    }

    private var routes: [Route] = []
    private let logger: Logger
    private let metrics: ServiceMetrics?
    private let access: AccessPolicy

    public init(logger: Logger, metrics: ServiceMetrics? = nil, access: AccessPolicy = AccessPolicy()) {
        self.logger = logger
        self.metrics = metrics
        self.access = access
    }

    /// Adds a route; `template` segments in braces capture that segment of the path.
    public mutating func add(_ method: HTTPMethod, _ template: String, handler: @escaping Handler) {
        let segments = Self.split(template).map { segment -> Segment in
            segment.hasPrefix("{") && segment.hasSuffix("}")
                ? .capture(String(segment.dropFirst().dropLast())) : .literal(String(segment))
        }
        routes.append(Route(method: method, template: template, segments: segments, handler: handler))
    }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        let started = ContinuousClock.now
        var (response, route) = await route(request)
        for (name, value) in access.corsHeaders(origin: request.head.headers["Origin"]) {
            response.headers.replaceOrAdd(name: name, value: value)
        }
        metrics?.recordRequest(
            method: request.head.method, route: route, status: response.status,
            seconds: (ContinuousClock.now - started).seconds, bytesIn: request.body.count,
            bytesOut: request.head.method == .head ? 0 : response.body.count)
        return response
    }

    /// The response and the template of the route that made it ("unmatched" when none did).
    private func route(_ request: HTTPRequest) async -> (HTTPResponse, String) {
        let path = Self.split(request.head.path)
        if request.head.method == .options, !access.allowedOrigins.isEmpty {
            return (preflight(request, path), "preflight")
        }
        if access.requiresToken(request.head.path), !access.permits(authorization: request.head.headers["Authorization"]) {
            return (AccessPolicy.unauthorized.response(), "unauthorized")
        }
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
                return (try await route.handler(request, parameters), route.template)
            } catch let error as any HTTPResponseError {
                return (error.response(), route.template)
            } catch {
                logger.error(
                    "request failed",
                    metadata: [
                        "http.path": "\(request.head.path)", "http.request_id": "\(RequestID.current ?? "")",
                        "error": "\(String(reflecting: error))",
                    ])
                let response = HTTPResponse.error(
                    status: .internalServerError, code: "internal_error", message: "an unexpected error occurred")
                return (response, route.template)
            }
        }
        if !allowed.isEmpty {
            if allowed.contains(.get), !allowed.contains(.head) { allowed.append(.head) }
            return (APIError.methodNotAllowed(allowed: allowed).response(), "unmatched")
        }
        return (APIError.notFound("no route for \(request.head.path)").response(), "unmatched")
    }

    /// A CORS preflight: which methods the path has and which request headers a page may send.
    private func preflight(_ request: HTTPRequest, _ path: [Substring]) -> HTTPResponse {
        var methods = routes.filter { Self.match($0.segments, path) != nil }.map(\.method)
        guard !methods.isEmpty else { return APIError.notFound("no route for \(request.head.path)").response() }
        if methods.contains(.get) { methods.append(.head) }
        return HTTPResponse(
            status: .noContent,
            headers: [
                "Access-Control-Allow-Methods": methods.map(\.rawValue).joined(separator: ", "),
                "Access-Control-Allow-Headers": AccessPolicy.allowedRequestHeaders,
                "Access-Control-Max-Age": "600",
            ])
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
