import Foundation
import Logging
import Testing

@testable import HTTPProtocol
@testable import HTTPTransport
@testable import ImageService
@testable import TestSupport

/// Each hostile request of issue 5 (RFC 9110/9112 violations, smuggling attempts, limits, slow clients, paths out of
/// the web root) sent over a real socket to a real `HTTPServer` routing to the real API router and static files:
/// the status, whether the connection is closed (it must be after every framing error, since what follows cannot be
/// framed), and that another client is served meanwhile.
@Suite struct HostileRequestTests {
    /// One row of the table: the bytes sent, the status expected, and whether the server must close the connection.
    struct Hostile: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var status: Int
        var closes: Bool

        init(_ name: String, _ text: String, _ status: Int, closes: Bool = true) {
            self.name = name
            self.bytes = Array(text.utf8)
            self.status = status
            self.closes = closes
        }

        var testDescription: String { name }
    }

    static let maxBodyBytes = 64 * 1024

    static let table: [Hostile] = [
        // Framing: RFC 9112 §6.
        Hostile(
            "Content-Length with Transfer-Encoding",
            "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        Hostile(
            "two different Content-Length fields",
            "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
        Hostile(
            "a Content-Length list that disagrees", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n",
            400),
        Hostile("a non-numeric Content-Length", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: five\r\n\r\n", 400),
        Hostile(
            "a Content-Length with a plus sign", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello",
            400),
        Hostile("a negative Content-Length", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n", 400),
        Hostile("a hexadecimal Content-Length", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400),
        Hostile(
            "an overflowing Content-Length",
            "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400),
        Hostile(
            "a chunk size that is not hexadecimal",
            "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\nhello\r\n0\r\n\r\n", 400),
        Hostile(
            "a chunk size with a 0x prefix",
            "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400),
        Hostile(
            "a chunk size beyond the body limit",
            "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n", 413),
        Hostile(
            "a control character in a chunk extension",
            "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x\u{7F}\r\nhello\r\n0\r\n\r\n", 400),
        Hostile(
            "chunk data longer than its size",
            "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n", 400),
        Hostile(
            "a chunk-size line ending in a bare LF",
            "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400),
        Hostile("Transfer-Encoding gzip", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        Hostile(
            "Transfer-Encoding gzip, chunked",
            "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        Hostile(
            "chunked twice in two fields",
            "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\n",
            501),
        Hostile(
            "Transfer-Encoding xchunked", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 501),
        Hostile(
            "Transfer-Encoding in HTTP/1.0",
            "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),

        // Syntax: RFC 9112 §2-§5.
        Hostile("obsolete line folding", "GET /ok HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n", 400),
        Hostile("a bare LF ending the request line", "GET /ok HTTP/1.1\nHost: a\r\n\r\n", 400),
        Hostile("bare LFs throughout", "GET /ok HTTP/1.1\nHost: a\n\n", 400),
        Hostile("a bare CR in the request line", "GET /ok\rHTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("a bare CR after the version", "GET /ok HTTP/1.1\rHost: a\r\n\r\n", 400),
        Hostile("whitespace before a header's colon", "GET /ok HTTP/1.1\r\nHost: a\r\nContent-Length : 0\r\n\r\n", 400),
        Hostile("a tab before a header's colon", "GET /ok HTTP/1.1\r\nHost\t: a\r\n\r\n", 400),
        Hostile("a control character in a header name", "GET /ok HTTP/1.1\r\nHost: a\r\nX-A\u{01}: b\r\n\r\n", 400),
        Hostile("NUL in a header value", "GET /ok HTTP/1.1\r\nHost: a\r\nX-A: b\u{00}c\r\n\r\n", 400),
        Hostile("DEL in a header value", "GET /ok HTTP/1.1\r\nHost: a\r\nX-A: b\u{7F}\r\n\r\n", 400),
        Hostile("a missing Host in HTTP/1.1", "GET /ok HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
        Hostile("two Host fields", "GET /ok HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        Hostile("two spaces in the request line", "GET  /ok HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("HTTP/2.0 in a request line", "GET /ok HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        Hostile("a malformed version", "GET /ok HTTP/1.10\r\nHost: a\r\n\r\n", 400),

        // Limits: 8 KiB request line, 16 KiB or 100 header fields, the body limit before the body is read.
        Hostile(
            "a request line over 8 KiB",
            "GET /\(String(repeating: "a", count: 8200)) HTTP/1.1\r\nHost: a\r\n\r\n", 414),
        Hostile(
            "a header section over 16 KiB",
            "GET /ok HTTP/1.1\r\nHost: a\r\n"
                + String(repeating: "X-Filler: \(String(repeating: "b", count: 1000))\r\n", count: 17)
                + "\r\n", 431),
        Hostile(
            "more than 100 header fields",
            "GET /ok HTTP/1.1\r\nHost: a\r\n" + (1...100).map { "X-\($0): v\r\n" }.joined() + "\r\n", 431),
        Hostile(
            "a declared body over the limit, its bytes never sent",
            "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: \(maxBodyBytes + 1)\r\n\r\n", 413),

        // Paths: no way out of the web root, whatever the encoding.
        Hostile("a dot-dot path", "GET /../../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("encoded slashes around dot-dot", "GET /..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("encoded dots", "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("an encoded NUL", "GET /index.html%00.png HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("an invalid percent escape", "GET /index%zz.html HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("a fragment in the target", "GET /index.html#top HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("an encoded slash into a file", "GET /etc%2fpasswd HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("an absolute path", "GET //etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("a hidden file", "GET /.env HTTP/1.1\r\nHost: a\r\n\r\n", 404, closes: false),
        Hostile("a backslash path", "GET /..%5c..%5cetc%5cpasswd HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("a raw backslash", "GET /a\\b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("a dot segment", "GET /./index.html HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("a trailing slash", "GET /ok/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("an encoded CR LF", "GET /ok%0d%0aX-Forged:%201 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("an encoded DEL", "GET /ok%7f HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("an absolute form with a doubled slash", "GET http://a//ok HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("an absolute form with userinfo", "GET http://user@a/ok HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Hostile("a Host with a path", "GET /ok HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
        Hostile("a Host with userinfo", "GET /ok HTTP/1.1\r\nHost: u@a\r\n\r\n", 400),
        Hostile("a Host with a bad port", "GET /ok HTTP/1.1\r\nHost: a:80x\r\n\r\n", 400),
        Hostile(
            "a body on a route that takes none", "GET /ok HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 413),
    ]

    /// A server with the API's router (a small echo route and the page's files), short timeouts and a small body
    /// limit.
    final class HostileServer {
        let server: HTTPServer
        let port: Int

        init() throws {
            var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
            configuration.limits.maxBodyBytes = HostileRequestTests.maxBodyBytes
            configuration.headerTimeout = 1
            configuration.transferWindow = 1
            var logger = Logger(label: "hostile-test")
            logger.logLevel = .critical
            var router = Router(logger: logger)
            router.add(.get, "/ok") { _, _ in HTTPResponse(status: .ok, body: Array("ok".utf8)) }
            router.add(.post, "/echo", takesBody: true) { request, _ in
                HTTPResponse(status: .ok, body: Array("\(request.body.count)".utf8))
            }
            StaticFiles(root: OpenAPIDocumentTests.repositoryRoot.appendingPathComponent("web").path).register(
                on: &router)
            server = try HTTPServer(configuration: configuration, responder: router, logger: logger)
            port = try server.start()
        }

        deinit { server.shutdown(timeout: .seconds(1)) }

        func client() throws -> TestHTTPClient { try TestHTTPClient(port: port) }
    }

    /// Checks that `response` is the JSON error envelope with a code.
    private static func expectErrorEnvelope(_ response: TestResponse) throws {
        let error = try #require(try response.json()["error"] as? [String: String])
        #expect(error["code"]?.isEmpty == false)
        #expect(error["message"]?.isEmpty == false)
    }

    @Test(arguments: table)
    func answersHostileRequestsAndClosesWhereItMust(_ hostile: Hostile) async throws {
        try await blocking {
            let server = try HostileServer()
            let attacker = try server.client()
            let bystander = try server.client()
            try attacker.send(hostile.bytes)
            #expect(try bystander.request("GET", "/ok").status == 200)

            let response = try attacker.readResponse()
            #expect(response.status == hostile.status)
            try Self.expectErrorEnvelope(response)
            if hostile.closes {
                #expect(response.header("Connection") == "close")
                #expect(attacker.isClosedByServer())
            } else {
                #expect(try attacker.request("GET", "/ok").status == 200)
            }
            #expect(try bystander.request("POST", "/echo", body: Array("still here".utf8)).text == "10")
        }
    }

    /// Slowloris: a header section dribbled in must be complete within the header timeout, and nobody waits for it.
    @Test func closesAHeaderSectionThatTakesTooLong() async throws {
        try await blocking {
            let server = try HostileServer()
            let slow = try server.client()
            let bystander = try server.client()
            try slow.send("GET /ok HTTP/1.1\r\nHost: a\r\n")
            for index in 0..<2 {
                // Each line would keep an idle timer happy; the head as a whole never completes. (Nothing is sent
                // once the deadline may have passed: bytes reaching a closed socket would reset the connection.)
                Thread.sleep(forTimeInterval: 0.3)
                try slow.send("X-Drip-\(index): 1\r\n")
                #expect(try bystander.request("GET", "/ok").status == 200)
            }
            let response = try slow.readResponse()
            #expect(response.status == 408)
            try Self.expectErrorEnvelope(response)
            #expect(slow.isClosedByServer())
        }
    }

    /// A body must keep moving: one that stops is answered 408 and closed, while others are served.
    @Test func closesABodyThatStopsMoving() async throws {
        try await blocking {
            let server = try HostileServer()
            let stalled = try server.client()
            let bystander = try server.client()
            try stalled.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly part of it")
            #expect(try bystander.request("GET", "/ok").status == 200)
            let response = try stalled.readResponse()
            #expect(response.status == 408)
            #expect(stalled.isClosedByServer())
            #expect(try bystander.request("GET", "/ok").status == 200)
        }
    }

    /// A request pipelined after `Connection: close` is never read, so it cannot be smuggled in.
    @Test func readsNothingAfterConnectionClose() async throws {
        try await blocking {
            let server = try HostileServer()
            let client = try server.client()
            try client.send(
                "GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                    + "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
            let response = try client.readResponse()
            #expect(response.text == "ok")
            #expect(response.header("Connection") == "close")
            #expect(client.isClosedByServer())
        }
    }

    /// The classic CL.TE smuggling shape: the server must not treat the chunked "body" as a second request.
    @Test func doesNotServeARequestSmuggledInABody() async throws {
        try await blocking {
            let server = try HostileServer()
            let client = try server.client()
            let smuggled = "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n"
            try client.send(
                "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: \(smuggled.utf8.count)\r\n\r\n\(smuggled)")
            // One request with a body of that length, not two requests.
            #expect(try client.readResponse().text == "\(smuggled.utf8.count)")
            #expect(try client.request("GET", "/ok").text == "ok")
        }
    }
}
