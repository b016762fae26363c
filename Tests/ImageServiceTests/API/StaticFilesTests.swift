import Foundation
import Logging
import Testing

@testable import HTTPProtocol
@testable import ImageService

/// The page's files: served with their type and security headers, revalidated by ETag, and nothing outside the
/// web root, not even through a symbolic link inside it.
@Suite final class StaticFilesTests {
    let root: URL
    let router: Router

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("static-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Data("<!doctype html><title>t</title>".utf8).write(to: root.appendingPathComponent("index.html"))
        try Data("body {}".utf8).write(to: root.appendingPathComponent("style.css"))
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("outside-\(UUID().uuidString).html")
        try Data("secret".utf8).write(to: outside)
        try FileManager.default.createSymbolicLink(
            at: root.appendingPathComponent("secret.html"), withDestinationURL: outside)
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("folder.html"), withIntermediateDirectories: true)
        var router = Router(logger: Logger(label: "test"))
        StaticFiles(root: root.path).register(on: &router)
        self.router = router
    }

    deinit {
        if let target = try? FileManager.default.destinationOfSymbolicLink(
            atPath: root.appendingPathComponent("secret.html").path)
        {
            try? FileManager.default.removeItem(atPath: target)
        }
        try? FileManager.default.removeItem(at: root)
    }

    private func get(_ target: String, headers: HTTPHeaders = [:]) async throws -> HTTPResponse {
        await router.respond(to: HTTPRequest(head: try HTTPRequestHead(method: .get, target: target, headers: headers)))
    }

    @Test func servesThePageWithItsSecurityHeaders() async throws {
        let page = try await get("/")
        #expect(page.status == .ok)
        #expect(page.headers["Content-Type"] == "text/html; charset=utf-8")
        #expect(page.headers["Content-Security-Policy"]?.contains("script-src 'self'") == true)
        #expect(page.headers["X-Content-Type-Options"] == "nosniff")
        #expect(page.headers["Referrer-Policy"] == "no-referrer")
        #expect(page.headers["X-Frame-Options"] == "DENY")
        let style = try await get("/style.css")
        #expect(style.headers["Content-Type"] == "text/css; charset=utf-8")
        #expect(style.headers["Content-Security-Policy"] == nil)
    }

    @Test func answers304ForAMatchingETag() async throws {
        let first = try await get("/style.css")
        let etag = try #require(first.headers["ETag"])
        #expect(first.headers["Last-Modified"] != nil)
        let again = try await get("/style.css", headers: ["If-None-Match": etag])
        #expect(again.status == .notModified)
        #expect(again.body.isEmpty)
        // Weakly, in a list, or any (RFC 9110 §13.1.2); another tag gets the file.
        for candidate in ["W/\(etag)", #""other", \#(etag)"#, "*"] {
            #expect(try await get("/style.css", headers: ["If-None-Match": candidate]).status == .notModified)
        }
        #expect(try await get("/style.css", headers: ["If-None-Match": #""other""#]).status == .ok)
    }

    @Test(arguments: ["/secret.html", "/folder.html", "/.hidden.html", "/missing.html", "/index.exe", "/a%20b.html"])
    func findsNothingOutsideThePlainFilesOfTheRoot(target: String) async throws {
        #expect(try await get(target).status == .notFound)
    }
}
