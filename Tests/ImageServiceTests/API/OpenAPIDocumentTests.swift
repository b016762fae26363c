import Foundation
import Logging
import Testing

@testable import HTTPProtocol
@testable import ImageService
@testable import Imaging

/// `/openapi.yaml` serves the repository's own contract, from a configured path or from beside the web root.
@Suite struct OpenAPIDocumentTests {
    /// The repository's root, where `openapi.yaml` and `web/` live.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    private static func respond(
        _ router: Router, _ method: HTTPMethod, _ target: String, headers: HTTPHeaders = [:]
    )
        async throws -> HTTPResponse
    {
        await router.respond(
            to: HTTPRequest(head: try HTTPRequestHead(method: method, target: target, headers: headers)))
    }

    @Test func servesTheConfiguredDocumentAsYAMLWithAnETag() async throws {
        var router = Router(logger: Logger(label: "test"))
        let path = Self.repositoryRoot.appendingPathComponent("openapi.yaml").path
        OpenAPIDocument.register(path: path, webRoot: nil, on: &router)

        let response = try await Self.respond(router, .get, "/openapi.yaml")
        #expect(response.status == .ok)
        #expect(response.headers["Content-Type"] == "application/yaml")
        #expect(response.body == Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(String(decoding: response.body.prefix(14), as: UTF8.self) == "openapi: 3.1.0")

        let etag = try #require(response.headers["ETag"])
        let revalidated = try await Self.respond(router, .get, "/openapi.yaml", headers: ["If-None-Match": etag])
        #expect(revalidated.status == .notModified)
        #expect(revalidated.body.isEmpty)
    }

    @Test func findsTheDocumentBesideTheWebRoot() async throws {
        let webRoot = Self.repositoryRoot.appendingPathComponent("web").path
        #expect(
            OpenAPIDocument.defaultPath(webRoot: webRoot)
                == Self.repositoryRoot.appendingPathComponent("openapi.yaml").path)
        #expect(OpenAPIDocument.defaultPath(webRoot: webRoot + "/") == OpenAPIDocument.defaultPath(webRoot: webRoot))

        var router = Router(logger: Logger(label: "test"))
        OpenAPIDocument.register(path: nil, webRoot: webRoot, on: &router)
        #expect(try await Self.respond(router, .get, "/openapi.yaml").status == .ok)
    }

    @Test func isNotFoundWithoutAPathOrAWebRoot() async throws {
        var router = Router(logger: Logger(label: "test"))
        OpenAPIDocument.register(path: nil, webRoot: nil, on: &router)
        #expect(try await Self.respond(router, .get, "/openapi.yaml").status == .notFound)

        var missing = Router(logger: Logger(label: "test"))
        OpenAPIDocument.register(path: "/nonexistent/openapi.yaml", webRoot: nil, on: &missing)
        #expect(try await Self.respond(missing, .get, "/openapi.yaml").status == .notFound)
    }

    /// The contract states the limits the code enforces: every `maximum:` in it is one of the code's constants, and
    /// the defaults it names in prose are the code's defaults.
    @Test func statesTheLimitsTheCodeEnforces() throws {
        let path = Self.repositoryRoot.appendingPathComponent("openapi.yaml").path
        let document = try String(contentsOfFile: path, encoding: .utf8)
        let maxima = Set(
            document.split(separator: "\n").compactMap { line -> Int? in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix("maximum: ") else { return nil }
                return Int(trimmed.dropFirst("maximum: ".count))
            })
        let constants = [
            ProcessingOptions.dimensionRange.upperBound, ProcessingOptions.qualityRange.upperBound,
            ImagesAPI.maxWaitSeconds, ImagesAPI.pageSizes.upperBound,
        ]
        #expect(maxima == Set(constants))
        #expect(document.contains("default: \(ProcessingOptions.defaultQuality)"))
        #expect(document.contains("default: \(ImagesAPI.defaultPageSize)"))
        #expect(document.contains("\(HTTPLimits.defaultMaxBodyBytes >> 20) MiB by default"))
        #expect(document.contains("\(ProcessingOptions.defaultMaxEnlargement)× by default"))
    }
}
