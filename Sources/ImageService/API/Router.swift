import HTTPProtocol
import HTTPTransport
import Logging

/// Matches a request to a handler by method and path template (`/api/images/{id}`), decides at head time whether a
/// request may go on at all, and is the one place where errors become responses: `HTTPResponseError`s are told to
/// the client, anything else is logged and answered 500.
///
/// One decision, ``decide(_:bodyBound:)``, serves both moments: `admit` runs it as soon as the header section is in
/// (on the event loop, before any body byte is read or reserved), and `respond` runs it again for the handler's
/// captures. It refuses: a path no route has (404); a route that needs the token without one (401, also for a
/// protected path asked with a method it lacks, and when `Authorization` is given twice); a method the path lacks
/// (405, with `Allow`); and a body on a route that takes none (413). `HEAD` is served by the
/// `GET` handler (the server sends the head only). CORS headers and preflight (`OPTIONS`) answers for allowed
/// origins are added here too.
public struct Router: HTTPResponder {
    /// Handles one matched request; `parameters` holds the template's captures.
    public typealias Handler = @Sendable (HTTPRequest, RouteParameters) async throws -> HTTPResponse

    private struct Route: Sendable {
        var method: HTTPMethod
        var template: String
        var segments: [Segment]
        var access: RouteAccess
        var takesBody: Bool
        var handler: Handler
    }

    private enum Segment: Sendable, Equatable {
        case literal(String)
        case capture(String)
    }

    /// What becomes of a request, decided from its head alone.
    private enum Decision {
        case refuse(HTTPResponse, label: String)
        case handle(Route, RouteParameters)
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

    /// Adds a route; `template` segments in braces capture that segment of the path. Routes need the token unless
    /// `access` is `.public`; only routes with `takesBody` accept a request body.
    public mutating func add(
        _ method: HTTPMethod, _ template: String, access: RouteAccess = .token, takesBody: Bool = false,
        handler: @escaping Handler
    ) {
        let segments = Self.split(template).map { segment -> Segment in
            segment.hasPrefix("{") && segment.hasSuffix("}")
                ? .capture(String(segment.dropFirst().dropLast())) : .literal(String(segment))
        }
        routes.append(
            Route(
                method: method, template: template, segments: segments, access: access, takesBody: takesBody,
                handler: handler))
    }

    public func admit(_ head: HTTPRequestHead, bodyBound: Int) -> HTTPResponse? {
        guard case .refuse(let response, let label) = decide(head, bodyBound: bodyBound) else { return nil }
        return finish(response, route: label, head: head, started: .now, bytesIn: 0)
    }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        let started = ContinuousClock.now
        switch decide(request.head, bodyBound: request.body.count) {
        case .refuse(let response, let label):
            return finish(response, route: label, head: request.head, started: started, bytesIn: request.body.count)
        case .handle(let route, let parameters):
            let response = await run(route, request, parameters)
            return finish(
                response, route: route.template, head: request.head, started: started, bytesIn: request.body.count)
        }
    }

    /// CORS headers, then the request counted under `route` (a template or a fixed word, never a raw path).
    private func finish(
        _ response: HTTPResponse, route: String, head: HTTPRequestHead, started: ContinuousClock.Instant, bytesIn: Int
    ) -> HTTPResponse {
        var response = response
        for (name, value) in access.corsHeaders(origin: head.headers["Origin"]) {
            response.headers.replaceOrAdd(name: name, value: value)
        }
        metrics?.recordRequest(
            method: head.method, route: route, status: response.status,
            seconds: (ContinuousClock.now - started).seconds, bytesIn: bytesIn,
            bytesOut: head.method == .head ? 0 : response.bodyCount)
        return response
    }

    private func decide(_ head: HTTPRequestHead, bodyBound: Int) -> Decision {
        let path = Self.split(head.path)
        if head.method == .options, !access.allowedOrigins.isEmpty {
            return .refuse(preflight(head, path), label: "preflight")
        }
        let method = head.method == .head ? HTTPMethod.get : head.method
        // Two `Authorization` fields have no one meaning: neither counts.
        let authorizations = head.headers.values(for: "Authorization")
        let authorization = authorizations.count == 1 ? authorizations[0] : nil
        var allowed: [HTTPMethod] = []
        var protectedPath = false
        for route in routes {
            guard let parameters = Self.match(route.segments, path) else { continue }
            guard route.method == method else {
                // Two templates can match one path (`/healthz` and `/{file}`): name each method once.
                if !allowed.contains(route.method) { allowed.append(route.method) }
                protectedPath = protectedPath || !access.permits(route.access, authorization: authorization)
                continue
            }
            guard access.permits(route.access, authorization: authorization) else {
                return .refuse(AccessPolicy.unauthorized.response(), label: "unauthorized")
            }
            guard route.takesBody || bodyBound == 0 else {
                let refusal = APIError(
                    status: .contentTooLarge, code: "payload_too_large", message: "this resource takes no body")
                return .refuse(refusal.response(), label: route.template)
            }
            return .handle(route, parameters)
        }
        if !allowed.isEmpty {
            // Without the token, a protected path does not even say which methods it has.
            if protectedPath { return .refuse(AccessPolicy.unauthorized.response(), label: "unauthorized") }
            if allowed.contains(.get), !allowed.contains(.head) { allowed.append(.head) }
            return .refuse(APIError.methodNotAllowed(allowed: allowed).response(), label: "unmatched")
        }
        return .refuse(APIError.notFound("no route for \(head.path)").response(), label: "unmatched")
    }

    private func run(_ route: Route, _ request: HTTPRequest, _ parameters: RouteParameters) async -> HTTPResponse {
        do {
            return try await route.handler(request, parameters)
        } catch let error as any HTTPResponseError {
            return error.response()
        } catch {
            logger.error(
                "request failed",
                metadata: [
                    "http.path": "\(request.head.path)", "http.request_id": "\(RequestID.current ?? "")",
                    "error": "\(String(reflecting: error))",
                ])
            return HTTPResponse.error(
                status: .internalServerError, code: "internal_error", message: "an unexpected error occurred")
        }
    }

    /// A CORS preflight: which methods the path has and which request headers a page may send. Public, since a
    /// browser sends no credentials with it.
    private func preflight(_ head: HTTPRequestHead, _ path: [String]) -> HTTPResponse {
        var methods = routes.filter { Self.match($0.segments, path) != nil }.map(\.method)
        guard !methods.isEmpty else { return APIError.notFound("no route for \(head.path)").response() }
        if methods.contains(.get) { methods.append(.head) }
        return HTTPResponse(
            status: .noContent,
            headers: [
                "Access-Control-Allow-Methods": methods.map(\.rawValue).joined(separator: ", "),
                "Access-Control-Allow-Headers": AccessPolicy.allowedRequestHeaders,
                "Access-Control-Max-Age": "600",
            ])
    }

    /// The segments of a canonical path, which has no empty ones (``RequestTarget``); `/` has none. Split on the
    /// bytes, as the canonicaliser checks them: splitting a `String` goes by grapheme clusters, and `/` followed by
    /// a combining mark (`/%CC%81api`) is one cluster that is not `/`, so the router would see other segments.
    private static func split(_ path: String) -> [String] {
        path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    private static func match(_ segments: [Segment], _ path: [String]) -> RouteParameters? {
        guard segments.count == path.count else { return nil }
        var parameters = RouteParameters()
        for (segment, component) in zip(segments, path) {
            switch segment {
            // Bytes, not `==`: String equality is canonical equivalence (U+212A KELVIN SIGN equals "K").
            case .literal(let literal) where literal.utf8.elementsEqual(component.utf8):
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
