import Logging
import Testing

@testable import HTTPProtocol
@testable import ImageService

/// Route matching and the 404/405 answers, without sockets.
@Suite struct RouterTests {
    private static func router() -> Router {
        var router = Router(logger: Logger(label: "test"))
        router.add(.get, "/healthz") { _, _ in HTTPResponse(status: .ok) }
        router.add(.get, "/{file}") { _, parameters in
            HTTPResponse(status: .ok, body: Array((parameters["file"] ?? "").utf8))
        }
        router.add(.delete, "/items/{id}") { _, _ in HTTPResponse(status: .noContent) }
        return router
    }

    private static func respond(_ method: HTTPMethod, _ target: String) async throws -> HTTPResponse {
        await router().respond(to: HTTPRequest(head: try HTTPRequestHead(method: method, target: target)))
    }

    @Test func capturesTemplateSegments() async throws {
        let response = try await Self.respond(.get, "/index.html")
        #expect(response.status == .ok)
        #expect(response.body == Array("index.html".utf8))
    }

    /// The router once split the path as a `String`, by grapheme clusters: `/` followed by a combining mark was no
    /// separator, so `/\u{301}x/y` was the one segment `y` to it (two to the canonicaliser) and reached `/{file}`.
    @Test func splitsOnEverySlashEvenBeforeACombiningMark() async throws {
        #expect(try await Self.respond(.get, "/%CC%81x/y").status == .notFound)
        #expect(try await Self.respond(.get, "/%E3%80%AE").body == Array("\u{302E}".utf8))
    }

    // Two templates matching one path (`/healthz` and `/{file}`) used to list GET twice in Allow.
    @Test func namesEachAllowedMethodOnceWhenTwoTemplatesMatch() async throws {
        let response = try await Self.respond(.post, "/healthz")
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers["Allow"] == "GET, HEAD")
    }

    @Test func answersHeadThroughGetAndListsOtherMethods() async throws {
        #expect(try await Self.respond(.head, "/healthz").status == .ok)
        let response = try await Self.respond(.get, "/items/1")
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers["Allow"] == "DELETE")
    }

    @Test func answersAnUnknownPath404() async throws {
        let response = try await Self.respond(.get, "/a/b/c")
        #expect(response.status == .notFound)
        #expect(String(decoding: response.body, as: UTF8.self).contains(#""code":"not_found""#))
    }
}
